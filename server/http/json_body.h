// Strict decoding of JSON request bodies: Content-Type must be
// application/json; the body must be one JSON object, valid UTF-8, nested no
// deeper than the configured limit, with no duplicate member names; and each
// route names the members it accepts, so unknown members are refused rather
// than ignored. Parsing runs with exceptions off. Thread-safe.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "http/message.h"

namespace vault::http {

using Json = nlohmann::json;

// InvalidArgument (400) for malformed JSON, duplicates, a non-object or too
// deep a nesting; reason unsupported_media_type (415) for another type.
StatusOr<Json> ParseJsonObject(const Request& req, int max_depth);
// Parses text with the same rules (fuzzing and tests).
StatusOr<Json> ParseJsonText(std::string_view text, int max_depth);

// InvalidArgument naming the first member of `obj` not in `allowed`.
Status OnlyMembers(const Json& obj, std::initializer_list<std::string_view> allowed);

// The member as a string: absent → nullopt; present but not a string →
// InvalidArgument naming it; null → nullopt when `null_ok`.
StatusOr<std::optional<std::string>> OptionalString(const Json& obj, const char* name);
StatusOr<std::string> RequiredString(const Json& obj, const char* name);
StatusOr<std::optional<bool>> OptionalBool(const Json& obj, const char* name);
StatusOr<std::optional<int64_t>> OptionalInt(const Json& obj, const char* name);
StatusOr<std::optional<std::vector<std::string>>> OptionalStringArray(const Json& obj,
                                                                      const char* name);

// Writes `body` as application/json with `status`.
void WriteJson(Response& res, int status, const Json& body);

}  // namespace vault::http
