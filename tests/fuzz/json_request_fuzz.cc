// Fuzzes the decoding of JSON request bodies (http/json_body.h) the way the
// routes use it: ParseJsonText with the default depth limit, then, for every
// route's member list, OnlyMembers and the typed getters (OptionalString,
// RequiredString, OptionalBool, OptionalInt, OptionalStringArray), batch
// items included. Properties: no crash, no uncaught exception; an accepted
// body is an object nested no deeper than the limit, holds only valid UTF-8
// (a strict dump succeeds), and parses again to the same value; a refusal is
// InvalidArgument with reason invalid_json, and its message is valid UTF-8
// (it reaches the client in a problem+json body).
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/json_body.h"

using vault::fuzz::Bytes;
namespace http = vault::http;
using http::Json;

namespace {

constexpr int kDepth = 16;  // config/vault.toml: limits.max_json_depth

enum class Type { kString, kRequiredString, kBool, kInt, kStringArray, kItems };

struct Member {
  const char* name;
  Type type;
};

struct Route {
  const char* what;
  std::vector<Member> members;
};

// The member lists of the routes (server/http/*_routes.cc).
const std::vector<Route>& Routes() {
  static const auto* kRoutes = new std::vector<Route>{
      {"customers.create",
       {{"email", Type::kString}, {"phone", Type::kString}, {"name", Type::kString}}},
      {"customers.search", {{"email", Type::kString}, {"phone", Type::kString}}},
      {"customers.reveal", {{"fields", Type::kStringArray}, {"reason", Type::kString}}},
      {"customers.batch", {{"items", Type::kItems}}},
      {"auth.login", {{"username", Type::kRequiredString}, {"password", Type::kRequiredString}}},
      {"admin.employees.create",
       {{"username", Type::kRequiredString},
        {"display_name", Type::kString},
        {"roles", Type::kStringArray},
        {"password", Type::kString}}},
      {"admin.employees.update",
       {{"display_name", Type::kString},
        {"roles", Type::kStringArray},
        {"password", Type::kString},
        {"active", Type::kBool}}},
      {"admin.tokens.create",
       {{"kind", Type::kRequiredString},
        {"name", Type::kRequiredString},
        {"description", Type::kString},
        {"expires_in_seconds", Type::kInt}}},
      {"admin.keys.rotate", {{"purpose", Type::kRequiredString}}},
      {"consents.put",
       {{"granted", Type::kBool}, {"channel", Type::kString}, {"notice_version", Type::kString}}},
      {"retention.run", {{"dry_run", Type::kBool}}},
      {"receipts.verify",
       {{"id", Type::kString},
        {"erased_at", Type::kInt},
        {"actor", Type::kString},
        {"audit_seq", Type::kInt},
        {"audit_mac", Type::kString}}},
  };
  return *kRoutes;
}

int Depth(const Json& j) {
  if (!j.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : j) deepest = std::max(deepest, Depth(child));
  return deepest + 1;
}

void CheckRefusal(const vault::Status& st) {
  FUZZ_CHECK(!st.ok(), "a refusal is an error");
  FUZZ_CHECK(st.code() == vault::StatusCode::kInvalidArgument, "refusals are 400s");
  // The message goes out in a problem+json body, dumped strictly: it must be
  // valid UTF-8 even when it quotes part of the client's text.
  (void)Json(st.message()).dump();
}

void Decode(const Json& obj, const std::vector<Member>& members) {
  for (const Member& m : members) {
    switch (m.type) {
      case Type::kString: {
        auto v = http::OptionalString(obj, m.name);
        if (!v.ok()) CheckRefusal(v.status());
        break;
      }
      case Type::kRequiredString: {
        auto v = http::RequiredString(obj, m.name);
        if (!v.ok()) CheckRefusal(v.status());
        break;
      }
      case Type::kBool: {
        auto v = http::OptionalBool(obj, m.name);
        if (!v.ok()) CheckRefusal(v.status());
        break;
      }
      case Type::kInt: {
        auto v = http::OptionalInt(obj, m.name);
        if (!v.ok()) CheckRefusal(v.status());
        break;
      }
      case Type::kStringArray: {
        auto v = http::OptionalStringArray(obj, m.name);
        if (!v.ok()) {
          CheckRefusal(v.status());
        } else if (*v) {
          FUZZ_CHECK((*v)->size() == obj.at(m.name).size(), "every element decoded");
        }
        break;
      }
      case Type::kItems: {
        auto items = obj.find(m.name);
        if (items == obj.end() || !items->is_array()) break;
        for (const Json& item : *items) {
          if (!item.is_object()) continue;
          vault::Status st = http::OnlyMembers(item, {"op", "email", "phone", "name"});
          if (!st.ok()) {
            CheckRefusal(st);
            continue;
          }
          Decode(item, {{"op", Type::kString},
                        {"email", Type::kString},
                        {"phone", Type::kString},
                        {"name", Type::kString}});
        }
        break;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = Bytes(data, size);
  auto parsed = http::ParseJsonText(text, kDepth);
  if (!parsed.ok()) {
    CheckRefusal(parsed.status());
    FUZZ_CHECK(parsed.status().reason() == "invalid_json", "refusal reason");
    return 0;
  }
  const Json& body = *parsed;
  FUZZ_CHECK(body.is_object(), "a body is an object");
  FUZZ_CHECK(Depth(body) <= kDepth, "the depth limit holds");

  // Only valid UTF-8 gets in: a strict dump would throw otherwise.
  std::string dumped = body.dump();
  auto again = http::ParseJsonText(dumped, kDepth);
  FUZZ_CHECK(again.ok() && *again == body, "an accepted body round-trips");

  for (const Route& route : Routes()) {
    std::vector<std::string_view> names;
    for (const Member& m : route.members) names.push_back(m.name);
    // OnlyMembers takes an initializer_list; check membership the same way.
    bool all_known = true;
    for (const auto& [key, value] : body.items()) {
      bool known = false;
      for (std::string_view n : names) known = known || key == n;
      all_known = all_known && known;
    }
    vault::Status only = vault::Status::Ok();
    switch (names.size()) {
      case 1:
        only = http::OnlyMembers(body, {names[0]});
        break;
      case 2:
        only = http::OnlyMembers(body, {names[0], names[1]});
        break;
      case 3:
        only = http::OnlyMembers(body, {names[0], names[1], names[2]});
        break;
      case 4:
        only = http::OnlyMembers(body, {names[0], names[1], names[2], names[3]});
        break;
      case 5:
        only = http::OnlyMembers(body, {names[0], names[1], names[2], names[3], names[4]});
        break;
      default:
        FUZZ_CHECK(false, "route table shape");
    }
    FUZZ_CHECK(only.ok() == all_known, "OnlyMembers agrees with the member list");
    if (!only.ok()) {
      CheckRefusal(only);
      // The echoed member name is cut to 40 characters.
      FUZZ_CHECK(only.message().size() < 40 * 4 + 64, "refusal stays short");
      continue;
    }
    Decode(body, route.members);
  }
  return 0;
}
