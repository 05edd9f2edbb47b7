#include "server/http_front.h"

#include <algorithm>
#include <array>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_set>

namespace fungible::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) < std::tolower(static_cast<unsigned char>(y));
  });
}

std::string HttpRequest::get_header_value(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

std::string HttpRequest::get_param_value(const std::string& name) const {
  auto it = params.find(name);
  return it == params.end() ? "" : it->second;
}

std::string HttpResponse::get_header_value(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (!CaseInsensitiveLess()(k, name) && !CaseInsensitiveLess()(name, k)) return v;
  return "";
}

std::string ErrorJson(const std::string& slug, const std::string& message) {
  return nlohmann::json{{"error", {{"status", slug}, {"message", message}}}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

// Past an error the rest of the request is read and dropped for at most
// this long and this much, so a client still sending reads the answer.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 64u << 20;

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX decoded (a malformed escape is kept as is); '+' is a space in a query.
std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigit(s[i + 1]) >= 0 && HexDigit(s[i + 2]) >= 0) {
      out += static_cast<char>(HexDigit(s[i + 1]) * 16 + HexDigit(s[i + 2]));
      i += 2;
    } else {
      out += plus_is_space && s[i] == '+' ? ' ' : s[i];
    }
  }
  return out;
}

void SplitTarget(HttpRequest& r) {
  const std::string_view target = r.target;
  const size_t q = target.find('?');
  r.path = PercentDecode(target.substr(0, q), false);
  if (q == std::string_view::npos) return;
  std::string_view query = target.substr(q + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const size_t eq = pair.find('=');
      r.params.emplace(PercentDecode(pair.substr(0, eq), true),
                       eq == std::string_view::npos ? "" : PercentDecode(pair.substr(eq + 1), true));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

class HttpSession;

struct HttpFront::Impl {
  Impl(HttpFrontOptions o, OnHeader h, OnRequest r)
      : options(o), on_header(std::move(h)), on_request(std::move(r)) {}

  HttpFrontOptions options;
  OnHeader on_header;
  OnRequest on_request;
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> guard = asio::make_work_guard(ioc);
  tcp::acceptor acceptor{ioc};
  asio::steady_timer accept_retry{ioc};
  std::unique_ptr<asio::thread_pool> workers;
  std::thread io_thread;
  int bound_port = 0;

  std::mutex mu;
  std::condition_variable cv;
  std::unordered_set<HttpSession*> sessions;  // guarded by mu
  bool started = false, stopping = false;

  bool Stopping() {
    std::lock_guard<std::mutex> lock(mu);
    return stopping;
  }
  void Accept();
};

// One connection. Every member is used on the io thread only, but for
// `req_` and `res_`, which a worker uses while the io thread leaves them
// alone (handed over by asio::post both ways).
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  // REQUIRES: `front` outlives the session (its Stop waits for every one).
  HttpSession(tcp::socket socket, HttpFront::Impl* front) : stream_(std::move(socket)), front_(front) {
    std::lock_guard<std::mutex> lock(front_->mu);
    front_->sessions.insert(this);
  }
  ~HttpSession() {
    std::lock_guard<std::mutex> lock(front_->mu);
    front_->sessions.erase(this);
    front_->cv.notify_all();
  }
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  void Start() { WaitRequest(); }

  // Refuses the connection at once (too many open).
  void Refuse() { Fail(503, "unavailable", "too many open connections; retry shortly"); }

  // On a stop: a connection between requests (or still sending a header)
  // is closed now; one whose request is in progress closes after its answer.
  void CloseIfIdle() {
    if (phase_ == Phase::kIdle || phase_ == Phase::kHeader) Close();
  }

 private:
  enum class Phase { kIdle, kHeader, kWork, kBody, kWrite, kLinger, kClosed };

  void WaitRequest() {
    phase_ = Phase::kIdle;
    if (front_->Stopping()) return Close();
    if (buffer_.size() > 0) return ReadHeader();  // the next request is already here
    stream_.expires_after(std::chrono::seconds(front_->options.idle_timeout_s));
    stream_.async_read_some(buffer_.prepare(4096),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->buffer_.commit(n);
                              if (ec || self->phase_ == Phase::kClosed)
                                return self->Close();  // idle timeout, EOF, stop
                              self->ReadHeader();
                            });
  }

  void ReadHeader() {
    phase_ = Phase::kHeader;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(front_->options.max_header_bytes));
    // The declared length is the caller's to judge (413). Not boost::none:
    // Beast 1.74 compares the length with the optional, and none is less.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Arm();  // one deadline for the whole header, however slowly it arrives
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    deadline_.cancel();
    if (phase_ == Phase::kClosed) return;
    if (ec == http::error::end_of_stream) return Close();  // closed between requests
    if (timed_out_)
      return Fail(408, "request_timeout",
                  "the request header did not arrive within " +
                      std::to_string(front_->options.request_timeout_s) + " s");
    if (ec == http::error::header_limit)
      return Fail(
          431, "bad_request",
          "request header larger than " + std::to_string(front_->options.max_header_bytes) + " bytes");
    if (ec) {
      // Beast stops at the offending field; those before it are kept.
      const auto& m = parser_->get();
      const bool has_length = m.count(http::field::content_length) > 0;
      const bool has_te = m.count(http::field::transfer_encoding) > 0;
      if (ec == http::error::bad_content_length)
        return Fail(400, "bad_request",
                    has_length ? "more than one Content-Length header"
                    : has_te   ? "both Content-Length and Transfer-Encoding were sent"
                               : "Content-Length: expected a decimal number of bytes");
      if (ec == http::error::bad_transfer_encoding)
        return Fail(400, "bad_request",
                    has_length ? "both Content-Length and Transfer-Encoding were sent"
                               : "Transfer-Encoding: only a single \"chunked\" is accepted");
      return Fail(400, "bad_request", "malformed request");
    }
    const auto& m = parser_->get();
    req_ = std::make_shared<HttpRequest>();
    req_->method = std::string(m.method_string());
    req_->target = std::string(m.target());
    for (const auto& f : m) req_->headers.emplace(std::string(f.name_string()), std::string(f.value()));
    SplitTarget(*req_);
    beast::error_code ignored;
    req_->remote_addr = stream_.socket().remote_endpoint(ignored).address().to_string();
    req_->body_expected = !parser_->is_done();
    keep_alive_ = m.keep_alive();
    res_ = HttpResponse{};
    phase_ = Phase::kWork;
    asio::post(*front_->workers, [self = shared_from_this()] {
      bool answered = true;
      try {
        answered = self->front_->on_header(*self->req_, self->res_);
      } catch (const std::exception&) {
        self->Internal();  // the caller's handlers catch and log their own
      }
      asio::post(self->stream_.get_executor(), [self, answered] { self->AfterHeader(answered); });
    });
  }

  void AfterHeader(bool answered) {
    if (answered) {
      if (req_->body_expected) res_.close = true;  // its body stays unread: never parse it as a request
      return Write();
    }
    if (!req_->body_expected) return Handle();
    phase_ = Phase::kBody;
    parser_->body_limit(front_->options.max_body_bytes);
    Arm();
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      self->deadline_.cancel();
      if (self->phase_ == Phase::kClosed) return;
      if (self->timed_out_)
        return self->Fail(408, "request_timeout",
                          "the request body did not arrive within " +
                              std::to_string(self->front_->options.request_timeout_s) + " s");
      if (!ec) {
        self->req_->body = std::move(self->parser_->get().body());
        self->req_->body_state = HttpRequest::Body::kRead;
      } else {
        self->req_->body_state =
            ec == http::error::body_limit ? HttpRequest::Body::kTooLarge : HttpRequest::Body::kUnreadable;
        self->res_.close = true;
      }
      self->Handle();
    });
  }

  void Handle() {
    phase_ = Phase::kWork;
    asio::post(*front_->workers, [self = shared_from_this()] {
      try {
        self->front_->on_request(*self->req_, self->res_);
      } catch (const std::exception&) {
        self->Internal();  // the caller's handlers catch and log their own
      }
      asio::post(self->stream_.get_executor(), [self] { self->Write(); });
    });
  }

  // The deadline of a header or a body, which ends with an answer (408): on
  // expiry the pending read is cancelled, the socket kept to write it.
  void Arm() {
    timed_out_ = false;
    stream_.expires_never();
    deadline_.expires_after(std::chrono::seconds(front_->options.request_timeout_s));
    deadline_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (ec) return;  // cancelled: the read ended first
      self->timed_out_ = true;
      beast::error_code ignored;
      self->stream_.socket().cancel(ignored);
    });
  }

  void Internal() {
    res_ = HttpResponse{};
    res_.status = 500;
    res_.set_content(ErrorJson("internal", "internal error"), "application/json");
  }

  void Fail(int status, const std::string& slug, const std::string& message) {
    res_ = HttpResponse{};
    res_.status = status;
    res_.set_content(ErrorJson(slug, message), "application/json");
    res_.close = true;
    Write();
  }

  void Write() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kWrite;
    out_ = {};
    out_.version(11);
    out_.result(static_cast<unsigned>(res_.status));
    for (const auto& [name, value] : res_.headers) out_.insert(name, value);
    out_.body() = std::move(res_.body);
    out_.keep_alive(keep_alive_ && !res_.close && !front_->Stopping());
    out_.prepare_payload();
    stream_.expires_after(std::chrono::seconds(front_->options.write_timeout_s));
    http::async_write(stream_, out_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Close();
      if (!self->out_.keep_alive()) return self->Linger();
      self->req_.reset();
      self->WaitRequest();
    });
  }

  // Our side is done: shut down sending and drop what still arrives, for a
  // bounded time and amount, then close.
  void Linger() {
    phase_ = Phase::kLinger;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    buffer_.clear();
    stream_.expires_after(kLingerTime);
    Drain();
  }
  void Drain() {
    stream_.async_read_some(asio::buffer(drain_),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kLingerBytes) return self->Close();
                              self->Drain();
                            });
  }

  void Close() {
    if (phase_ == Phase::kClosed) return;
    phase_ = Phase::kClosed;
    deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  asio::steady_timer deadline_{stream_.get_executor()};
  bool timed_out_ = false;
  HttpFront::Impl* front_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpRequest> req_;
  HttpResponse res_;
  http::response<http::string_body> out_;
  bool keep_alive_ = true;
  Phase phase_ = Phase::kIdle;
  std::array<char, 16384> drain_{};
  size_t drained_ = 0;
};

void HttpFront::Impl::Accept() {
  acceptor.async_accept(ioc, [this](beast::error_code ec, tcp::socket socket) {
    if (!acceptor.is_open()) return;  // stopped
    if (ec) {
      // Out of descriptors, say: try again shortly rather than spin.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code) {
        if (acceptor.is_open()) Accept();
      });
      return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // small JSON answers: no Nagle delay
    size_t open = 0;
    {
      std::lock_guard<std::mutex> lock(mu);
      open = sessions.size();
    }
    auto session = std::make_shared<HttpSession>(std::move(socket), this);
    if (open >= options.max_connections)
      session->Refuse();
    else
      session->Start();
    Accept();
  });
}

HttpFront::HttpFront(HttpFrontOptions options, OnHeader on_header, OnRequest on_request)
    : impl_(std::make_unique<Impl>(options, std::move(on_header), std::move(on_request))) {}

HttpFront::~HttpFront() { Stop(); }

int HttpFront::port() const { return impl_->bound_port; }

Status HttpFront::Listen(const std::string& host, int port) {
  Impl& s = *impl_;
  const std::string where = host + ":" + std::to_string(port);
  beast::error_code ec;
  tcp::resolver resolver(s.ioc);
  auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec || endpoints.empty())
    return Status(StatusCode::kUnavailable, "cannot listen on " + where + " (" + ec.message() + ")");
  const tcp::endpoint endpoint = *endpoints.begin();
  s.acceptor.open(endpoint.protocol(), ec);
  // SO_REUSEADDR only: never SO_REUSEPORT, which would let a second server
  // bind the same port and take half the requests.
  if (!ec) s.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (!ec) s.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    return Status(StatusCode::kUnavailable, "cannot listen on " + where + " (" + ec.message() + ")");
  }
  s.bound_port = s.acceptor.local_endpoint(ec).port();
  s.workers = std::make_unique<asio::thread_pool>(std::max(1, s.options.worker_threads));
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.started = true;
  }
  s.Accept();
  s.io_thread = std::thread([&s] { s.ioc.run(); });
  return Status::Ok();
}

void HttpFront::Stop() {
  Impl& s = *impl_;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    if (s.stopping) return;
    s.stopping = true;
    if (!s.started) return;
  }
  asio::post(s.ioc, [&s] {
    beast::error_code ignored;
    s.acceptor.close(ignored);
    s.accept_retry.cancel();
    std::lock_guard<std::mutex> lock(s.mu);
    for (HttpSession* session : s.sessions) session->CloseIfIdle();
  });
  {
    // Requests in progress are answered (each bounded by its deadlines).
    std::unique_lock<std::mutex> lock(s.mu);
    s.cv.wait(lock, [&s] { return s.sessions.empty(); });
  }
  s.guard.reset();
  s.ioc.stop();
  if (s.io_thread.joinable()) s.io_thread.join();
  s.workers->join();
}

}  // namespace fungible::server
