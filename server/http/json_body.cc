#include "http/json_body.h"

#include <set>

namespace vault::http {
namespace {

Status Malformed(std::string what) { return InvalidArgument(std::move(what), "invalid_json"); }

// Deepest nesting of objects and arrays, counted outside strings, stopping
// as soon as `limit` is passed; so a hostile body never reaches the parser.
bool DepthWithin(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > limit) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

Status WrongType(const char* name, const char* type) {
  return InvalidArgument(std::string("\"") + name + "\" must be " + type, "invalid_field_type");
}

}  // namespace

StatusOr<Json> ParseJsonText(std::string_view text, int max_depth) {
  if (!DepthWithin(text, max_depth)) {
    return Malformed("JSON nested deeper than " + std::to_string(max_depth) + " levels");
  }
  // Track member names per open object to refuse duplicates.
  std::vector<std::set<std::string>> open;
  bool duplicate = false;
  Json::parser_callback_t callback = [&](int, Json::parse_event_t event, Json& parsed) {
    switch (event) {
      case Json::parse_event_t::object_start:
        open.emplace_back();
        break;
      case Json::parse_event_t::object_end:
        if (!open.empty()) open.pop_back();
        break;
      case Json::parse_event_t::key:
        if (!open.empty() && !open.back().insert(parsed.get<std::string>()).second) {
          duplicate = true;
        }
        break;
      default:
        break;
    }
    return true;
  };
  Json json = Json::parse(text.begin(), text.end(), callback, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Malformed("the body is not valid JSON");
  if (duplicate) return Malformed("the body repeats a member name");
  if (!json.is_object()) return Malformed("the body must be a JSON object");
  return json;
}

StatusOr<Json> ParseJsonObject(const Request& req, int max_depth) {
  std::string type = req.get_header_value("Content-Type");
  std::string_view base = std::string_view(type).substr(0, type.find(';'));
  while (!base.empty() && base.back() == ' ') base.remove_suffix(1);
  if (base != "application/json") {
    return InvalidArgument("send the body as application/json", Reason::kUnsupportedMediaType);
  }
  return ParseJsonText(req.body, max_depth);
}

Status OnlyMembers(const Json& obj, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) {
      // Member names are the client's text: keep them short in the reply,
      // cut on a UTF-8 boundary so the problem+json body stays valid.
      std::string shown = key;
      if (shown.size() > 40) {
        size_t cut = 40;
        while (cut > 0 && (static_cast<unsigned char>(shown[cut]) & 0xC0) == 0x80) --cut;
        shown = shown.substr(0, cut) + "…";
      }
      return InvalidArgument("unknown member \"" + shown + "\"", "unknown_member");
    }
  }
  return Status::Ok();
}

StatusOr<std::optional<std::string>> OptionalString(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) return WrongType(name, "a string");
  return std::optional<std::string>(it->get<std::string>());
}

StatusOr<std::string> RequiredString(const Json& obj, const char* name) {
  ASSIGN_OR_RETURN(auto v, OptionalString(obj, name));
  if (!v) {
    return InvalidArgument(std::string("\"") + name + "\" is required", "missing_field");
  }
  return *v;
}

StatusOr<std::optional<bool>> OptionalBool(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<bool>();
  if (!it->is_boolean()) return WrongType(name, "true or false");
  return std::optional<bool>(it->get<bool>());
}

StatusOr<std::optional<int64_t>> OptionalInt(const Json& obj, const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<int64_t>();
  if (!it->is_number_integer()) return WrongType(name, "an integer");
  return std::optional<int64_t>(it->get<int64_t>());
}

StatusOr<std::optional<std::vector<std::string>>> OptionalStringArray(const Json& obj,
                                                                      const char* name) {
  auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return std::optional<std::vector<std::string>>();
  if (!it->is_array()) return WrongType(name, "an array of strings");
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) return WrongType(name, "an array of strings");
    out.push_back(v.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

void WriteJson(Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace), "application/json");
}

}  // namespace vault::http
