// HeadScanner on its own: what it accepts and how, that a head fed byte by
// byte scans as one fed whole, and that limits are hit before the head ends.
#include "http/framing.h"

#include <gtest/gtest.h>

#include <string>

namespace vault::http {
namespace {

using Result = HeadScanner::Result;

Result ScanWhole(HeadScanner& s, const std::string& bytes) { return s.Scan(bytes); }

// Feeds one more byte each time, as a dripping client would.
Result ScanDripped(HeadScanner& s, const std::string& bytes, size_t* fed = nullptr) {
  Result r = Result::kNeedMore;
  for (size_t n = 1; n <= bytes.size() && r == Result::kNeedMore; ++n) {
    r = s.Scan(std::string_view(bytes).substr(0, n));
    if (fed != nullptr) *fed = n;
  }
  return r;
}

TEST(HeadScannerTest, ReadsAHeadWholeOrDripped) {
  const std::string head =
      "\r\nPOST /v1/x?y=1 HTTP/1.1\r\nHost: h\r\nContent-Length:  12 \r\n"
      "Connection: keep-alive, close\r\nX-Obs: caf\xc3\xa9\t!\r\n\r\nbody follows";
  for (bool drip : {false, true}) {
    HeadScanner s(FramingLimits{});
    ASSERT_EQ(drip ? ScanDripped(s, head) : ScanWhole(s, head), Result::kDone);
    const RequestHead& h = s.head();
    EXPECT_EQ(h.method, "POST");
    EXPECT_EQ(h.target, "/v1/x?y=1");
    EXPECT_EQ(h.version, "HTTP/1.1");
    EXPECT_EQ(h.skipped, 2u);
    EXPECT_EQ(head.substr(h.skipped + h.length), "body follows");
    EXPECT_EQ(h.framing, BodyFraming::kLength);
    EXPECT_EQ(h.content_length, 12u);
    EXPECT_FALSE(h.keep_alive);
    ASSERT_EQ(h.fields.size(), 4u);
    EXPECT_EQ(h.fields[1].second, "12");
    EXPECT_EQ(h.fields[3].second, "caf\xc3\xa9\t!");
  }
}

TEST(HeadScannerTest, KeepAliveFollowsTheVersion) {
  HeadScanner s(FramingLimits{});
  ASSERT_EQ(s.Scan("GET / HTTP/1.0\r\n\r\n"), Result::kDone);
  EXPECT_FALSE(s.head().keep_alive);
  s.Reset();
  ASSERT_EQ(s.Scan("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), Result::kDone);
  EXPECT_TRUE(s.head().keep_alive);
  s.Reset();
  ASSERT_EQ(s.Scan("GET / HTTP/1.1\r\nhost: h\r\nTransfer-Encoding: Chunked\r\n\r\n"),
            Result::kDone);
  EXPECT_TRUE(s.head().keep_alive);
  EXPECT_EQ(s.head().framing, BodyFraming::kChunked);
}

TEST(HeadScannerTest, RefusesABareCrBeforeTheLineEnds) {
  HeadScanner s(FramingLimits{});
  EXPECT_EQ(s.Scan("GET / HTTP/1.1\r\nX-A: a\rb"), Result::kRefused);
  EXPECT_EQ(s.refusal().code, "bad_line_ending");
}

TEST(HeadScannerTest, LimitsAreHitWhileReading) {
  FramingLimits limits;
  limits.max_request_line = 100;
  limits.max_header_bytes = 200;
  limits.max_header_fields = 3;
  {
    HeadScanner s(limits);
    size_t fed = 0;
    EXPECT_EQ(ScanDripped(s, "GET /" + std::string(500, 'a'), &fed), Result::kRefused);
    EXPECT_EQ(s.refusal().status, 414);
    EXPECT_LE(fed, 103u);
  }
  {
    HeadScanner s(limits);
    size_t fed = 0;
    EXPECT_EQ(ScanDripped(s, "GET / HTTP/1.1\r\nX: " + std::string(500, 'a'), &fed),
              Result::kRefused);
    EXPECT_EQ(s.refusal().status, 431);
    EXPECT_LE(fed, 16u + 202u);
  }
  {
    HeadScanner s(limits);
    EXPECT_EQ(s.Scan("GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n"), Result::kRefused);
    EXPECT_EQ(s.refusal().status, 431);
    EXPECT_EQ(s.refusal().code, "too_many_headers");
  }
  {
    HeadScanner s(limits);
    EXPECT_EQ(s.Scan("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 65537\r\n\r\n"),
              Result::kRefused);
    EXPECT_EQ(s.refusal().status, 413);
  }
  {
    HeadScanner s(limits);
    EXPECT_EQ(s.Scan("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"),
              Result::kRefused);
    EXPECT_EQ(s.refusal().code, "bad_content_length");
  }
}

// The scanner itself refuses each of these, with this code: the front's end
// to end tests (front_test.cc) would also pass where Beast's parser happens
// to refuse them too, so this pins the first line of defence.
TEST(HeadScannerTest, RefusesEveryAmbiguousOrMalformedHead) {
  const std::string host = "Host: h\r\n";
  struct Case {
    std::string fields;
    const char* code;
    std::string request_line = "POST /x HTTP/1.1";
  };
  const Case cases[] = {
      {host + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", "ambiguous_length"},
      {host + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "ambiguous_length"},
      {host + "Content-Length: 5\r\nContent-Length: 5\r\n", "bad_content_length"},
      {host + "Content-Length: 29abc\r\n", "bad_content_length"},
      {host + "Content-Length: +29\r\n", "bad_content_length"},
      {host + "Content-Length: 29, 29\r\n", "bad_content_length"},
      {host + "Content-Length: 0x10\r\n", "bad_content_length"},
      {host + "Content-Length : 5\r\n", "bad_header_name"},
      {host + "Transfer-Encoding: gzip, chunked\r\n", "bad_transfer_encoding"},
      {host + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
       "bad_transfer_encoding"},
      {host + "Transfer-Encoding: xchunked\r\n", "bad_transfer_encoding"},
      {"Transfer-Encoding: chunked\r\n", "bad_transfer_encoding", "POST /x HTTP/1.0"},
      {host + "X-A: b\r\n c\r\n", "obs_fold"},
      {host + "X-A: b\r\n\tc\r\n", "obs_fold"},
      {host + "X-A: b\rc\r\n", "bad_line_ending"},
      {host + "X-A: b\nX-B: c\r\n", "bad_line_ending"},
      {host + "X A: b\r\n", "bad_header_name"},
      {host + "X-A\t: b\r\n", "bad_header_name"},
      {host + ": b\r\n", "bad_header_name"},
      {host + "X-A b\r\n", "bad_header_name"},
      {host + std::string("Authorization: Bearer a\0b\r\n", 28), "bad_header_value"},
      {host + "X-A: \x1b[2J\r\n", "bad_header_value"},
      {host + "X-A: a\x7f\r\n", "bad_header_value"},
      {"", "bad_host"},
      {host + host, "bad_host"},
      {host + host, "bad_host", "GET /x HTTP/1.0"},
      {host, "bad_request_line", "GET  /x HTTP/1.1"},
      {host, "bad_request_line", "GET /x HTTP/1.1 "},
      {host, "bad_request_line", "GET x HTTP/1.1"},
      {host, "bad_request_line", "GET /x\x01 HTTP/1.1"},
      {host, "bad_request_line", "GET /x http/1.1"},
      {host, "bad_request_line", "G@T /x HTTP/1.1"},
      {host, "http_version_not_supported", "GET /x HTTP/1.2"},
  };
  for (const Case& c : cases) {
    std::string head = c.request_line + "\r\n" + c.fields + "\r\n";
    HeadScanner s(FramingLimits{});
    EXPECT_EQ(s.Scan(head), Result::kRefused) << head;
    EXPECT_EQ(s.refusal().code, c.code) << head;
  }
}

TEST(HeadScannerTest, TooManyEmptyLinesBeforeTheRequestAreRefused) {
  HeadScanner s(FramingLimits{});
  EXPECT_EQ(s.Scan(std::string(20, '\r') + "\n"), Result::kRefused);
  s.Reset();
  std::string empties;
  for (int i = 0; i < 10; ++i) empties += "\r\n";
  EXPECT_EQ(s.Scan(empties), Result::kRefused);
}

}  // namespace
}  // namespace vault::http
