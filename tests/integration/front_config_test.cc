// The front's limits as configured ([front], [limits]) reach the server that
// ships, and /metrics lives on its own loopback listener: the API port
// answers it 404, and whatever clients send, the series stay a fixed set and
// the exposition stays well formed; log lines carry no raw control character.
#include <gtest/gtest.h>
#include <httplib.h>
#include <openssl/ssl.h>

#include <functional>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/log.h"
#include "support/raw_client.h"
#include "support/test_server.h"

namespace vault::testing {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<SSL_CTX, void (*)(SSL_CTX*)> ClientTls() {
  return {SSL_CTX_new(TLS_client_method()), SSL_CTX_free};
}

TestServerOptions Configured(std::function<void(Config&)> configure) {
  TestServerOptions options;
  options.configure = std::move(configure);
  return options;
}

std::string Get(const std::string& target, const std::string& fields = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost\r\n" + fields + "\r\n";
}

TEST(FrontConfigTest, TheHeaderFieldAndByteLimitsAreTheConfiguredOnes) {
  TestServer server(Configured([](Config& c) {
    c.max_header_fields = 10;
    c.max_header_bytes = 1024;
  }));
  auto tls = ClientTls();
  std::string nine;  // with Host: 10 fields, the limit
  for (int i = 0; i < 9; ++i) nine += "X-F" + std::to_string(i) + ": v\r\n";
  {
    RawClient c(server.port(), tls.get());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send(Get("/healthz", nine)));
    auto res = c.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
    ASSERT_TRUE(c.Send(Get("/healthz", nine + "X-F9: v\r\n")));  // 11
    res = c.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 431);
    EXPECT_TRUE(c.ClosedWithin(2s));
  }
  {
    // 1.2 KiB of fields: far under the 16 KiB default, over the 1 KiB set.
    RawClient c(server.port(), tls.get());
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send(Get("/healthz", "X-Long: " + std::string(1200, 'v') + "\r\n")));
    auto res = c.Read();
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 431);
    EXPECT_TRUE(c.ClosedWithin(2s));
  }
}

TEST(FrontConfigTest, TheConnectionCapPerClientAndItsRetryAfterAreTheConfiguredOnes) {
  TestServer server(Configured([](Config& c) {
    c.max_connections_per_client = 3;
    c.retry_after_seconds = 7;
  }));
  auto tls = ClientTls();
  // The fixture's own client may hold one connection: hold until refused.
  std::vector<std::unique_ptr<RawClient>> held;
  std::optional<RawResponse> refused;
  for (int i = 0; i < 4 && !refused; ++i) {
    auto c = std::make_unique<RawClient>(server.port(), tls.get());
    ASSERT_TRUE(c->ok());
    ASSERT_TRUE(c->Send(Get("/healthz")));
    auto res = c->Read();
    ASSERT_TRUE(res);
    if (res->status == 503) {
      refused = res;
      EXPECT_TRUE(c->ClosedWithin(3s));
    } else {
      EXPECT_EQ(res->status, 200);
      held.push_back(std::move(c));
    }
  }
  ASSERT_TRUE(refused) << "4 connections from one address, none refused with a cap of 3";
  EXPECT_GE(held.size(), 2u);
  EXPECT_EQ(refused->Header("Retry-After"), "7");
}

TEST(FrontConfigTest, AnIdleConnectionClosesAfterTheConfiguredTimeout) {
  TestServer server(Configured([](Config& c) { c.idle_timeout_seconds = 1; }));
  auto tls = ClientTls();
  RawClient c(server.port(), tls.get());
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(Get("/healthz")));
  ASSERT_TRUE(c.Read());
  // The default (5 s) would keep it past 3 s.
  EXPECT_TRUE(c.ClosedWithin(3s));
}

// The metrics text: every line a comment or `name{labels} value`, labels
// quoted with no quote, backslash or control character inside.
void ExpectWellFormedExposition(const std::string& text) {
  std::regex sample(
      R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-z_]+="[^"\\\x00-\x1f]*"(,[a-z_]+="[^"\\\x00-\x1f]*")*\})? [0-9.eE+-]+$)");
  std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .*$)");
  std::istringstream in(text);
  std::string line;
  int samples = 0;
  while (std::getline(in, line)) {
    if (std::regex_match(line, comment)) continue;
    EXPECT_TRUE(std::regex_match(line, sample)) << "not exposition format: " << line;
    ++samples;
  }
  EXPECT_GT(samples, 5);
}

size_t RequestSeries(const std::string& text) {
  size_t n = 0;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) n += line.starts_with("vault_http_requests_total{");
  return n;
}

TEST(MetricsListenerTest, MetricsAreOnTheirOwnLoopbackListenerAndNotOnTheApiPort) {
  TestServer server;
  ASSERT_NE(server.metrics_port(), 0);
  ASSERT_NE(server.metrics_port(), server.port());
  Response api = server.client().SendOffContract("GET", "/metrics");
  EXPECT_EQ(api.status, 404);
  EXPECT_EQ(api.text.find("vault_http_requests_total"), std::string::npos);

  httplib::Client plain("127.0.0.1", server.metrics_port());
  auto res = plain.Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4");
  // The API port's 404 was counted there.
  EXPECT_NE(res->body.find("vault_http_requests_total{method=\"GET\",route=\"other\","
                           "status=\"404\"} 1\n"),
            std::string::npos)
      << res->body;
  ExpectWellFormedExposition(res->body);
  auto other = plain.Get("/v1/customers");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);
  auto post = plain.Post("/metrics", "", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
}

TEST(MetricsListenerTest, OffMeansNoListener) {
  TestServer server(Configured([](Config& c) { c.metrics_listen = "off"; }));
  EXPECT_EQ(server.metrics_port(), 0);
  EXPECT_EQ(server.client().SendOffContract("GET", "/metrics").status, 404);
}

// 1000 distinct junk methods and paths, some well-formed tokens answered on
// a kept connection, some with quotes, braces and ANSI escapes that the
// framing refuses: the series count is the same after 200 as after 1000,
// small, and the exposition parses. No log line holds a raw control byte.
TEST(MetricsListenerTest, JunkMethodsAndPathsAddNoSeriesAndNoControlBytesToLogs) {
  TestServer server;
  auto tls = ClientTls();
  auto send_junk = [&](int from, int to) {
    auto kept = std::make_unique<RawClient>(server.port(), tls.get());
    for (int i = from; i < to; ++i) {
      std::string n = std::to_string(i);
      if (i % 4 == 0) {
        // Refused by the framing and closed: a connection of its own.
        RawClient c(server.port(), tls.get());
        ASSERT_TRUE(c.ok());
        std::string method = "INJ\"}" + n + "\x1b[31m";
        ASSERT_TRUE(c.Send(method + " /v1/\x1b[2J" + n + " HTTP/1.1\r\nHost: h\r\n\r\n"));
        auto res = c.Read();
        ASSERT_TRUE(res) << i;
        EXPECT_EQ(res->status, 400) << i;
        continue;
      }
      std::string method = "JUNK" + n;
      std::string path = i % 4 == 1   ? "/v1/junk-" + n
                         : i % 4 == 2 ? "/v1/customers/" + n + "/x" + n
                                      : "/healthz" + n;
      ASSERT_TRUE(kept->Send(method + " " + path + " HTTP/1.1\r\nHost: h\r\n\r\n"));
      auto res = kept->Read();
      ASSERT_TRUE(res) << i;
      EXPECT_GE(res->status, 400) << i;
      EXPECT_LT(res->status, 500) << i;
    }
  };
  send_junk(0, 200);
  std::string after_200 = server.Metrics();
  send_junk(200, 1000);
  std::string after_1000 = server.Metrics();
  ExpectWellFormedExposition(after_1000);
  EXPECT_EQ(RequestSeries(after_200), RequestSeries(after_1000)) << after_1000;
  EXPECT_LT(RequestSeries(after_1000), 20u) << after_1000;
  // A positive control: the junk was counted, under fixed labels only.
  EXPECT_NE(after_1000.find("method=\"other\""), std::string::npos) << after_1000;
  EXPECT_EQ(after_1000.find("JUNK"), std::string::npos);
  EXPECT_EQ(after_1000.find("INJ"), std::string::npos);

  std::vector<std::string> lines = server.LogLines();
  ASSERT_GT(lines.size(), 1000u);
  for (const std::string& line : lines) {
    for (char ch : line) {
      auto c = static_cast<unsigned char>(ch);
      ASSERT_FALSE(c < 0x20 || c == 0x7f) << "raw control byte in a log line: " << line;
    }
  }
  // A positive control: a message with an escape reaches the sink escaped,
  // so the sweep above would see a raw one.
  log::Info("probe \x1b[31m");
  lines = server.LogLines();
  EXPECT_NE(lines.back().find("probe \\x1b[31m"), std::string::npos) << lines.back();
}

}  // namespace
}  // namespace vault::testing
