#pragma once
// The daemon's REST vocabulary without Beast: the request a handler sees, the response it
// returns, the JSON error shape every route shares, and the router that maps a method and a path
// pattern to a handler.
//
// A Router is built on one thread before the server starts, then moved into the Server and used
// only on its io thread. Handlers therefore run on the io thread: they must be quick (read live
// state, or hand a slow report to another thread and answer later through a route that polls it)
// and must not block.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ccgauge::server {

// One HTTP request as a handler sees it.
struct Request {
  std::string method;  // As sent: "GET", "POST", ...
  std::string target;  // The raw request target: "/api/v1/sessions/a%2Fb?limit=5".
  std::string path;    // The target without its query, not decoded: "/api/v1/sessions/a%2Fb".
  // Decoded query parameters ('+' is a space); when a key repeats, the last value wins.
  std::map<std::string, std::string> query;
  // Decoded values of the route pattern's {names}: {"id": "a/b"} for the target above.
  std::map<std::string, std::string> path_params;
  // Every header in arrival order; names lower-cased, values as sent.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // The peer's IP address: "127.0.0.1".

  // The value of the first header with this name (any case), or "" when there is none.
  std::string header(std::string_view name) const;
};

// What a handler answers. The server adds Content-Length, Connection, and when they apply
// Content-Encoding, Vary and ETag.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers, e.g. {"Retry-After", "5"} or {"Cache-Control", "no-store"}; not Content-Type
  // (use content_type) nor Content-Length. A handler that sets Content-Encoding itself (a
  // pre-compressed asset) is sent as is, never compressed again.
  std::vector<std::pair<std::string, std::string>> headers;
  // When true and the status is 200 on a GET or HEAD, the server sends a strong ETag computed
  // from the body (a different one for the gzip form) and answers a matching If-None-Match with
  // 304 and no body.
  bool etag = false;
};

// {"error":{"status":404,"message":"no route for GET /x"}} with that status.
Response json_error(int status, std::string_view message);

using Handler = std::function<Response(const Request&)>;

// Maps (method, path) to a handler.
//
// A pattern is a path whose segments are literal text, "{name}" (exactly one non-empty segment),
// or, as the last segment only, "{name...}" (the rest of the path, possibly empty, slashes
// included): "/api/v1/sessions/{id}", "/assets/{file...}". Captured values are percent-decoded
// after the path is split, so "%2F" inside a segment stays inside that parameter.
//
// When several patterns match, the most specific wins, segment by segment from the left: a literal
// beats "{name}", which beats "{name...}"; the order of add() calls does not matter. A path that
// matches some pattern but under another method is answered 405 with an Allow header; a path that
// matches none is answered 404. Method names are case-sensitive, as in HTTP. A HEAD request is
// served by the GET route when no HEAD route exists (the server then sends only the headers),
// and Allow lists HEAD wherever it lists GET.
class Router {
 public:
  // Adds a route. A malformed pattern (no leading '/', an unclosed '{', "{name...}" before the
  // last segment, an empty or repeated name) or a method + pattern already added is a
  // programming error: it aborts with a message naming the pattern.
  void add(std::string method, std::string_view pattern, Handler handler);

  struct Match {
    enum class Kind { kFound, kNotFound, kMethodNotAllowed };
    Kind kind = Kind::kNotFound;
    const Handler* handler = nullptr;                // Set when kFound; owned by the Router.
    std::map<std::string, std::string> path_params;  // Set when kFound.
    std::vector<std::string> allowed;                // Sorted methods, when kMethodNotAllowed.
    std::string error;  // Set (with kNotFound) when a path segment's escape is malformed.
  };
  // Finds the route for a method and a raw (not decoded) path.
  Match match(std::string_view method, std::string_view path) const;

  // Matches the request, fills its path_params and calls the handler. Never throws: 404, 405
  // (with Allow) and 400 (malformed escape) come back as json_error responses; an exception from
  // the handler becomes a 500 whose message is the exception's what(), and `on_exception` (when
  // set) is told the method, path and message.
  Response dispatch(Request& request,
                    const std::function<void(std::string_view)>& on_exception = {}) const;

  std::size_t size() const { return routes_.size(); }

 private:
  struct Segment {
    enum class Kind { kLiteral, kParam, kRest };
    Kind kind;
    std::string text;  // The literal, or the parameter's name.
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  // Captures parameters when `route` matches `segments`; the score ranks specificity.
  static bool match_route(const Route& route, const std::vector<std::string_view>& segments,
                          std::map<std::string, std::string>* params, std::string* error,
                          std::vector<int>* score);

  std::vector<Route> routes_;
};

}  // namespace ccgauge::server
