// /v1/customers…: parse, call AccessService, encode. PII arrives only in
// JSON bodies (never in a path or query) and leaves only in bodies marked
// Cache-Control: no-store.
#include "http/problem.h"
#include "http/routes.h"

namespace vault::http {
namespace {

using service::ContactField;

Json EncodeView(const service::CustomerView& view) {
  Json out = {{"id", view.id}, {"created_at", view.created_at}, {"updated_at", view.updated_at}};
  Json access = Json::object();
  for (auto [name, fv] : {std::pair{"email", &view.email}, std::pair{"phone", &view.phone},
                          std::pair{"name", &view.name}}) {
    access[name] = policy::LevelName(fv->level);
    if (fv->value) out[name] = *fv->value;
  }
  out["access"] = access;
  return out;
}

StatusOr<service::CustomerInput> DecodeInput(const Json& body) {
  service::CustomerInput in;
  ASSIGN_OR_RETURN(in.email, OptionalString(body, "email"));
  ASSIGN_OR_RETURN(in.phone, OptionalString(body, "phone"));
  ASSIGN_OR_RETURN(in.name, OptionalString(body, "name"));
  return in;
}

StatusOr<ContactField> DecodeField(const std::string& name) {
  auto field = policy::ParseField(name);
  if (!field) {
    return InvalidArgument("field must be email, phone or name", "field_invalid");
  }
  return *field;
}

// Runs a creating handler under the request's Idempotency-Key, if any: the
// first response is kept and replayed for retries with the same key.
Status Idempotent(App& app, Call& c, const std::function<Status()>& handler) {
  std::string key = c.req.get_header_value("Idempotency-Key");
  if (!c.req.has_header("Idempotency-Key") || app.idempotency == nullptr) return handler();
  std::string request = c.req.method + " " + c.req.path + "\n" + c.req.body;
  ASSIGN_OR_RETURN(auto stored, app.idempotency->Run(c.who.Label(), key, request, [&] {
    Status st = handler();
    if (!st.ok()) WriteProblem(c.res, st, RequestId(c.res));
    return service::StoredResponse{c.res.status, c.res.get_header_value("Content-Type"),
                                   c.res.body};
  }));
  if (stored.replayed) {
    c.res.status = stored.status;
    c.res.set_content(stored.body, stored.content_type);
    c.res.set_header("Idempotent-Replayed", "true");
  }
  return Status::Ok();
}

// The audit action of a batch item: what its `op` asks for (a find-or-create
// starts with a search), or customer.batch when the item does not say.
AuditAction ItemAction(const Json& item) {
  if (!item.is_object()) return AuditAction::kCustomerBatch;
  auto op = item.find("op");
  if (op == item.end() || *op == "create") return AuditAction::kCustomerCreate;
  if (*op == "find_or_create") return AuditAction::kCustomerSearch;
  return AuditAction::kCustomerBatch;
}

// One batch item as AccessService::Batch takes it; what cannot be read is
// passed on as the item's failure, for the service to refuse and audit.
service::BatchItem DecodeItem(const Json& item) {
  service::BatchItem out;
  auto read = [&]() -> Status {
    if (!item.is_object()) return InvalidArgument("each item must be an object", "item_invalid");
    RETURN_IF_ERROR(OnlyMembers(item, {"op", "email", "phone", "name"}));
    ASSIGN_OR_RETURN(auto op, OptionalString(item, "op"));
    ASSIGN_OR_RETURN(out.input, DecodeInput(item));
    std::string kind = op.value_or("create");
    if (kind == "create") {
      out.op = service::BatchItem::Op::kCreate;
    } else if (kind == "find_or_create") {
      out.op = service::BatchItem::Op::kFindOrCreate;
    } else {
      return InvalidArgument("op must be create or find_or_create", "op_invalid");
    }
    return Status::Ok();
  };
  out.unread = read();
  if (!out.unread.ok()) out.unread_action = ItemAction(item);
  return out;
}

}  // namespace

void RegisterCustomerRoutes(Router& server, App& app) {
  const int depth = app.config.max_json_depth;

  server.Post("/v1/customers", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerCreate, [&](Call& c) -> Status {
      return Idempotent(app, c, [&]() -> Status {
        ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
        RETURN_IF_ERROR(OnlyMembers(body, {"email", "phone", "name"}));
        ASSIGN_OR_RETURN(auto input, DecodeInput(body));
        ASSIGN_OR_RETURN(auto view, app.access->Create(c.who, c.meta, input));
        WriteJson(res, 201, EncodeView(view));
        return Status::Ok();
      });
    });
  });

  server.Post("/v1/customers/search", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerSearch, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"email", "phone"}));
      service::SearchQuery query;
      ASSIGN_OR_RETURN(query.email, OptionalString(body, "email"));
      ASSIGN_OR_RETURN(query.phone, OptionalString(body, "phone"));
      ASSIGN_OR_RETURN(auto views, app.access->Search(c.who, c.meta, query));
      Json matches = Json::array();
      for (const auto& v : views) matches.push_back(EncodeView(v));
      WriteJson(res, 200, {{"matches", matches}});
      return Status::Ok();
    });
  });

  server.Post("/v1/customers/find-or-create", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerFindOrCreate, [&](Call& c) -> Status {
      return Idempotent(app, c, [&]() -> Status {
        ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
        RETURN_IF_ERROR(OnlyMembers(body, {"email", "phone", "name"}));
        ASSIGN_OR_RETURN(auto input, DecodeInput(body));
        ASSIGN_OR_RETURN(auto result, app.access->FindOrCreate(c.who, c.meta, input));
        Json out = EncodeView(result.customer);
        WriteJson(res, result.created ? 201 : 200,
                  {{"customer", out}, {"created", result.created}});
        return Status::Ok();
      });
    });
  });

  // Up to 500 creates or find-or-creates; each item has its own result, and
  // one failing item does not undo the others (each is its own transaction
  // with its own audit entry).
  server.Post("/v1/customers/batch", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerBatch, [&](Call& c) -> Status {
      return Idempotent(app, c, [&]() -> Status {
        ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
        RETURN_IF_ERROR(OnlyMembers(body, {"items"}));
        auto items = body.find("items");
        if (items == body.end() || !items->is_array() || items->empty() ||
            items->size() > service::kMaxBatchItems) {
          return InvalidArgument("\"items\" must be an array of 1 to 500 objects", "batch_invalid");
        }
        std::vector<service::BatchItem> decoded;
        for (const Json& item : *items) decoded.push_back(DecodeItem(item));
        ASSIGN_OR_RETURN(auto outcomes, app.access->Batch(c.who, c.meta, decoded));
        Json results = Json::array();
        int ok = 0;
        for (size_t i = 0; i < outcomes.size(); ++i) {
          const service::BatchItemResult& outcome = outcomes[i];
          Json result = {{"index", i}};
          if (outcome.status.ok()) {
            ++ok;
            result["status"] = outcome.created ? 201 : 200;
            result["created"] = outcome.created;
            result["customer"] = EncodeView(*outcome.customer);
          } else {
            const Status& st = outcome.status;
            result["status"] = HttpStatusFor(st);
            result["error"] = ItemProblem(st);
          }
          results.push_back(std::move(result));
        }
        WriteJson(res, 200,
                  {{"results", results},
                   {"succeeded", ok},
                   {"failed", static_cast<int>(items->size()) - ok}});
        return Status::Ok();
      });
    });
  });

  server.Post(R"(/v1/customers/([^/]+)/verify)", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerVerify, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"email", "phone"}));
      ASSIGN_OR_RETURN(auto email, OptionalString(body, "email"));
      ASSIGN_OR_RETURN(auto phone, OptionalString(body, "phone"));
      if (email.has_value() == phone.has_value()) {
        return InvalidArgument("verify exactly one of email or phone", "verify_term_invalid");
      }
      ContactField field = email ? ContactField::kEmail : ContactField::kPhone;
      ASSIGN_OR_RETURN(bool match, app.access->Verify(c.who, c.meta, PathParam(req), field,
                                                      email ? *email : *phone));
      WriteJson(res, 200, {{"match", match}});
      return Status::Ok();
    });
  });

  server.Post(R"(/v1/customers/([^/]+)/reveal)", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerReveal, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"fields", "reason"}));
      ASSIGN_OR_RETURN(auto names, OptionalStringArray(body, "fields"));
      ASSIGN_OR_RETURN(auto reason, OptionalString(body, "reason"));
      std::vector<ContactField> fields;
      for (const auto& n : names.value_or(std::vector<std::string>{})) {
        ASSIGN_OR_RETURN(ContactField f, DecodeField(n));
        fields.push_back(f);
      }
      ASSIGN_OR_RETURN(auto revealed, app.access->Reveal(c.who, c.meta, PathParam(req), fields,
                                                         reason.value_or("")));
      for (const auto& role : c.who.roles) app.metrics->CountReveal(role);
      Json values = Json::object();
      for (const auto& [k, v] : revealed.values) values[k] = v;
      WriteJson(
          res, 200,
          {{"id", revealed.id}, {"values", values}, {"quota_remaining", revealed.quota_remaining}});
      return Status::Ok();
    });
  });

  server.Get(R"(/v1/customers/([^/]+))", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerRead, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto view, app.access->Get(c.who, c.meta, PathParam(req)));
      WriteJson(res, 200, EncodeView(view));
      return Status::Ok();
    });
  });

  server.Patch(R"(/v1/customers/([^/]+))", [&app, depth](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerUpdate, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(Json body, ParseJsonObject(req, depth));
      RETURN_IF_ERROR(OnlyMembers(body, {"email", "phone", "name"}));
      service::CustomerPatch patch;
      // null removes a field; the service takes "" for that.
      for (auto [name, slot] : {std::pair{"email", &patch.email}, std::pair{"phone", &patch.phone},
                                std::pair{"name", &patch.name}}) {
        auto it = body.find(name);
        if (it == body.end()) continue;
        if (it->is_null()) {
          *slot = "";
        } else if (it->is_string() && !it->get<std::string>().empty()) {
          *slot = it->get<std::string>();
        } else {
          return InvalidArgument(
              std::string("\"") + name + "\" must be a non-empty string, or null to remove it",
              "invalid_field_type");
        }
      }
      ASSIGN_OR_RETURN(auto view, app.access->Update(c.who, c.meta, PathParam(req), patch));
      WriteJson(res, 200, EncodeView(view));
      return Status::Ok();
    });
  });

  server.Delete(R"(/v1/customers/([^/]+))", [&app](const Request& req, Response& res) {
    Authenticated(app, req, res, AuditAction::kCustomerErase, [&](Call& c) -> Status {
      ASSIGN_OR_RETURN(auto receipt, app.access->Erase(c.who, c.meta, PathParam(req)));
      WriteJson(res, 200,
                {{"id", receipt.id},
                 {"erased_at", receipt.erased_at_ms},
                 {"actor", receipt.actor},
                 {"audit_seq", receipt.audit.seq},
                 {"audit_mac", receipt.audit.mac_hex}});
      return Status::Ok();
    });
  });
}

}  // namespace vault::http
