// The HTTP/1.1 front of `fungible serve`: Boost.Beast on Boost.Asio.
//
// One io thread runs every socket (accept, read, write) on one io_context;
// request handlers run on a bounded pool of worker threads. A connection
// costs a socket and a small buffer, never a thread, so idle or slow clients
// cannot starve the handlers. Per connection, in order:
//   idle       wait for a request's first byte, at most `idle_timeout_s`
//              (the keep-alive timeout); then the connection is closed;
//   header     the request line and headers complete within
//              `request_timeout_s` of their first byte: one deadline for the
//              whole header, however it is trickled (else 408, closed);
//   on_header  on a worker, before any body byte is read: the caller checks
//              framing, route, credentials and declares whether it answered;
//   body       read only then, counted as it arrives whatever its transfer
//              encoding, within `request_timeout_s` and `max_body_bytes`;
//   on_request on a worker, with the body (or why there is none);
//   write      the answer within `write_timeout_s`.
// A malformed request (unparsable line or headers, conflicting lengths) gets
// 400 and the connection is closed; so is every answer that leaves body bytes
// unread. A client's half-close after its request still gets the answer: EOF
// is only read when the next request is awaited. Closing after an error is
// lingering (our side shut down, the rest read and dropped for at most 1 s
// and 64 MiB) so a client still uploading reads the answer, not a reset.
// Beyond `max_connections` open connections a new one gets 503 and is closed.
#pragma once

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "util/status.h"

namespace fungible::server {

struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};

// A request as the handlers see it (member names as in cpp-httplib, which
// the handlers were first written for).
struct HttpRequest {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;    // percent-decoded, without the query
  std::multimap<std::string, std::string, CaseInsensitiveLess> headers;
  std::multimap<std::string, std::string> params;  // the query, decoded
  std::string body;
  std::string remote_addr;
  std::smatch matches;  // the route's captures, set by the caller's router (into `path`)
  std::any context;     // what on_header hands to on_request
  // Whether the request declares a body (a non-zero Content-Length or
  // chunked); its bytes are read only after on_header.
  bool body_expected = false;
  enum class Body { kNone, kRead, kTooLarge, kUnreadable };
  Body body_state = Body::kNone;

  bool has_header(const std::string& name) const { return headers.count(name) > 0; }
  std::string get_header_value(const std::string& name) const;
  size_t get_header_value_count(const std::string& name) const { return headers.count(name); }
  bool has_param(const std::string& name) const { return params.count(name) > 0; }
  std::string get_param_value(const std::string& name) const;
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool close = false;  // close the connection after this answer

  void set_header(const std::string& name, const std::string& value) { headers.emplace_back(name, value); }
  std::string get_header_value(const std::string& name) const;
  void set_content(std::string content, const std::string& content_type) {
    body = std::move(content);
    set_header("Content-Type", content_type);
  }
};

struct HttpFrontOptions {
  int worker_threads = 16;        // handlers running at once; more requests wait in the queue
  int idle_timeout_s = 1;         // a connection with no request is closed after this
  int request_timeout_s = 2;      // deadline for the header from its first byte, and for the body
  int write_timeout_s = 2;        // deadline for writing an answer
  size_t max_body_bytes = 65536;  // a body past this ends with body_state kTooLarge
  size_t max_header_bytes = 16384;
  size_t max_connections = 10000;
};

class HttpFront {
 public:
  // On a worker, before the body is read. Returns true when `res` is the
  // answer (the body, if any, is then never read and the connection closes).
  using OnHeader = std::function<bool(HttpRequest&, HttpResponse&)>;
  // On a worker, after the body is read (or body_state says why not).
  using OnRequest = std::function<void(HttpRequest&, HttpResponse&)>;

  HttpFront(HttpFrontOptions options, OnHeader on_header, OnRequest on_request);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds host:port (0: any free port; never shared with another process:
  // no SO_REUSEPORT), listens and starts the io and worker threads.
  // kUnavailable when the address cannot be bound.
  Status Listen(const std::string& host, int port);
  int port() const;
  // Stops accepting, closes connections waiting for a request, lets the
  // requests in progress be answered, then ends the threads. Idempotent.
  void Stop();

 private:
  friend class HttpSession;  // one connection (http_front.cc)
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// {"error": {"status": slug, "message": message}}, the one error shape.
std::string ErrorJson(const std::string& slug, const std::string& message);

}  // namespace fungible::server
