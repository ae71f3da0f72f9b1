// A raw HTTP/1.1 client over a TCP (or TLS) socket for tests of the front:
// it sends exactly the bytes it is given and reads answers with deadlines,
// so a test can send what no well-behaved client library would and see
// whether the server closed the connection.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace vault::testing {

struct RawResponse {
  int status = 0;
  http::Headers headers;
  std::string body;
  std::string Header(std::string_view name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class RawClient {
 public:
  // Connects to 127.0.0.1:port; with `tls`, completes a handshake with it
  // (check ok()). The SSL_CTX stays owned by the caller.
  explicit RawClient(int port, SSL_CTX* tls = nullptr) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (tls != nullptr) {
      ssl_ = SSL_new(tls);
      SSL_set_fd(ssl_, fd_);
      SSL_set_tlsext_host_name(ssl_, "localhost");
      if (SSL_connect(ssl_) != 1) {
        SSL_free(ssl_);
        ssl_ = nullptr;
        ::close(fd_);
        fd_ = -1;
      }
    }
  }
  ~RawClient() {
    if (ssl_ != nullptr) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool ok() const { return fd_ >= 0; }
  SSL* ssl() const { return ssl_; }

  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      long n = ssl_ != nullptr ? SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()))
                               : ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  // One answer: status line, fields, Content-Length body. nullopt when the
  // connection ends or the deadline passes first.
  std::optional<RawResponse> Read(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return std::nullopt;
    }
    RawResponse res;
    std::string_view head(buffer_.data(), end);
    if (!head.starts_with("HTTP/1.1 ") || head.size() < 12) return std::nullopt;
    res.status = std::stoi(std::string(head.substr(9, 3)));
    size_t pos = head.find("\r\n");
    while (pos != std::string_view::npos && pos < head.size()) {
      size_t next = head.find("\r\n", pos + 2);
      std::string_view line = head.substr(
          pos + 2, next == std::string_view::npos ? std::string_view::npos : next - pos - 2);
      size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        std::string_view value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        res.headers.emplace(std::string(line.substr(0, colon)), std::string(value));
      }
      pos = next;
    }
    size_t length = 0;
    if (auto cl = res.Header("Content-Length"); !cl.empty()) length = std::stoul(cl);
    if (res.status == 100) length = 0;
    while (buffer_.size() < end + 4 + length) {
      if (!Fill(deadline)) return std::nullopt;
    }
    res.body = buffer_.substr(end + 4, length);
    buffer_.erase(0, end + 4 + length);
    return res;
  }

  // True when the server ends the connection (EOF, close_notify or reset)
  // within `timeout` without sending anything more.
  bool ClosedWithin(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t before = buffer_.size();
    while (true) {
      int r = FillOnce(deadline);
      if (r < 0) return buffer_.size() == before;  // closed
      if (r == 0) return false;                    // deadline
    }
  }

 private:
  bool Fill(std::chrono::steady_clock::time_point deadline) { return FillOnce(deadline) > 0; }

  // 1: read bytes; 0: deadline passed; -1: the connection ended.
  int FillOnce(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0) return -1;
    if (ssl_ == nullptr || SSL_pending(ssl_) == 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return 0;
      pollfd p{fd_, POLLIN, 0};
      int ready = ::poll(&p, 1, static_cast<int>(left.count()));
      if (ready == 0) return 0;
      if (ready < 0) return -1;
    }
    char chunk[16384];
    long n =
        ssl_ != nullptr ? SSL_read(ssl_, chunk, sizeof chunk) : ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) {
      if (ssl_ != nullptr && SSL_get_error(ssl_, static_cast<int>(n)) == SSL_ERROR_WANT_READ) {
        return FillOnce(deadline);
      }
      return -1;
    }
    buffer_.append(chunk, static_cast<size_t>(n));
    return 1;
  }

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string buffer_;
};

}  // namespace vault::testing
