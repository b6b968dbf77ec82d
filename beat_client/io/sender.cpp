#include "beat_client/io/sender.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

#include "beat_client/core/failure_latch.hpp"
#include "beat_client/io/system.hpp"
#include "common/log.hpp"
#include "common/uv/handle.hpp"
#include "common/uv/resolve.hpp"
#include "common/uv/uv_error.hpp"

namespace beat {
namespace {

struct Lookup;

// Receives the server's control datagrams and the errors the kernel reports on a connected socket
// (an ICMP "port unreachable" becomes ECONNREFUSED). The connected socket takes datagrams from its
// server's address only. One buffer serves every socket: a datagram is handled within its read
// callback. A longer datagram is cut off (UV_UDP_PARTIAL) and ignored as undecodable.
void alloc_control(uv_handle_t*, std::size_t, uv_buf_t* buf) noexcept {
    static char scratch[kMaxControl];
    *buf = uv_buf_init(scratch, sizeof scratch);
}

std::int64_t monotonic_us() noexcept {
    return static_cast<std::int64_t>(uv_hrtime() / 1000);
}

std::size_t address_size(const sockaddr* sa) noexcept {
    return sa->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

}  // namespace

struct Sender::Link {
    uv_loop_t* loop;
    Sender* sender = nullptr;
    std::size_t index = 0;  // In the configured order: the responder's server number.
    Endpoint server;
    std::string name;      // "host:port" as configured.
    bool numeric = false;  // An address literal: never looked up.
    sockaddr_storage addr{};
    bool has_addr = false;
    uv_udp_t* socket = nullptr;  // Its data points back here until the link lets it go.
    Lookup* lookup = nullptr;    // The lookup in flight; freed in its callback.
    bool closed = false;         // The sender was closed: results are ignored.
    FailureLatch delivery, resolution;
    bool sent_since_beat = false;
    bool error_since_beat = false;
    AckTracker acks;

    void delivery_error(std::string_view what) noexcept;
    void connect(const sockaddr* sa) noexcept;
    void close_socket() noexcept;
    void start_lookup() noexcept;
    void lookup_done(int status, const addrinfo* res) noexcept;
};

namespace {

void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* from,
             unsigned flags) noexcept {
    auto* link = static_cast<Sender::Link*>(h->data);
    if (!link) return;
    if (nread < 0) {
        link->delivery_error(uv_strerror(static_cast<int>(nread)));
        return;
    }
    // Nothing more to read (nread 0 without an address), as libuv reports it.
    if (from == nullptr) return;
    link->sender->on_control(*link, std::string_view(buf->base, static_cast<std::size_t>(nread)),
                             (flags & UV_UDP_PARTIAL) != 0);
}

// Logs a change in whether `server` acknowledges; `unacked` beats went out since its last one.
void log_ack_change(AckChange change, std::string_view server, std::uint32_t unacked,
                    std::optional<std::int64_t> round_trip_us) noexcept {
    switch (change) {
        case AckChange::none:
            return;
        case AckChange::first_heard:
            log_debug("server acknowledging server={} rtt={}us", server,
                      round_trip_us.value_or(-1));
            return;
        case AckChange::never_heard:
            log_info(
                "server never acknowledged server={} unacked={} (an older server, or its "
                "datagrams cannot reach this host; beats go on; logged again when it "
                "acknowledges)",
                server, unacked);
            return;
        case AckChange::lost:
            log_warn(
                "server not acknowledging server={} unacked={} (beats go on; logged again when "
                "it acknowledges)",
                server, unacked);
            return;
        case AckChange::regained:
            log_info("server acknowledging again server={}", server);
            return;
    }
}

struct Lookup {
    uv_getaddrinfo_t req{};
    Sender::Link* link = nullptr;

    static void on_done(uv_getaddrinfo_t* req, int status, addrinfo* res) noexcept {
        auto* self = static_cast<Lookup*>(req->data);
        self->link->lookup = nullptr;
        if (!self->link->closed) self->link->lookup_done(status, res);
        uv_freeaddrinfo(res);
        delete self;
    }
};

}  // namespace

void Sender::Link::delivery_error(std::string_view what) noexcept {
    error_since_beat = true;
    if (delivery.fail()) {
        log_warn(
            "server unreachable server={} address={} error=\"{}\" (beats go on; logged again "
            "when it recovers)",
            name, has_addr ? sockaddr_to_string(reinterpret_cast<const sockaddr*>(&addr)) : "none",
            what);
    }
}

void Sender::Link::close_socket() noexcept {
    if (!socket) return;
    socket->data = nullptr;
    close_handle(socket);
}

void Sender::Link::connect(const sockaddr* sa) noexcept {
    close_socket();
    std::memcpy(&addr, sa, address_size(sa));
    has_addr = true;
    try {
        socket = init_handle<uv_udp_t>(uv_udp_init, loop, "uv_udp_init");
    } catch (const std::exception& e) {
        delivery_error(e.what());
        return;
    }
    socket->data = this;
    int rc = uv_udp_connect(socket, sa);
    if (rc == 0) rc = uv_udp_recv_start(socket, alloc_control, on_recv);
    if (rc < 0) {
        delivery_error(uv_strerror(rc));
        close_socket();
    }
}

void Sender::Link::start_lookup() noexcept {
    if (numeric || lookup) return;
    auto* l = new (std::nothrow) Lookup;
    if (!l) return;
    l->req.data = l;
    l->link = this;
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_protocol = IPPROTO_UDP;
    const std::string port = std::to_string(server.port);
    const int rc =
        uv_getaddrinfo(loop, &l->req, &Lookup::on_done, server.host.c_str(), port.c_str(), &hints);
    if (rc < 0) {
        delete l;
        lookup_done(rc, nullptr);
        return;
    }
    lookup = l;
}

void Sender::Link::lookup_done(int status, const addrinfo* res) noexcept {
    if (status == UV_ECANCELED) return;
    if (status < 0 || !res) {
        if (resolution.fail()) {
            log_warn(
                "server unresolvable server={} error=\"{}\" ({}; retried every resolve "
                "interval)",
                name, uv_strerror(status < 0 ? status : UV_EAI_NONAME),
                has_addr ? "beats go on to its last address" : "no beats go to it");
        }
        return;
    }
    const bool recovered = resolution.succeed();
    const sockaddr* sa = res->ai_addr;
    const bool changed = !has_addr || std::memcmp(&addr, sa, address_size(sa)) != 0 ||
                         addr.ss_family != sa->sa_family;
    if (changed || recovered) {
        log_info("server resolved server={} address={}", name, sockaddr_to_string(sa));
    }
    if (changed) connect(sa);
}

Sender::Sender(uv_loop_t* loop, const std::vector<Endpoint>& servers,
               std::int64_t resolve_interval_ms, AgentIdentity identity)
    : loop_(loop),
      responder_(std::move(identity.host), identity.incarnation, std::move(identity.key),
                 servers.size(), identity.accept_unsigned_plans),
      resolve_interval_ms_(resolve_interval_ms) {
    for (const Endpoint& e : servers) {
        auto link = std::make_unique<Link>();
        link->loop = loop;
        link->sender = this;
        link->index = links_.size();
        link->server = e;
        link->name = to_string(e);
        sockaddr_in in4{};
        sockaddr_in6 in6{};
        if (uv_ip4_addr(e.host.c_str(), e.port, &in4) == 0) {
            link->numeric = true;
            link->connect(reinterpret_cast<const sockaddr*>(&in4));
        } else if (uv_ip6_addr(e.host.c_str(), e.port, &in6) == 0) {
            link->numeric = true;
            link->connect(reinterpret_cast<const sockaddr*>(&in6));
        }
        links_.push_back(std::move(link));
    }
}

Sender::~Sender() {
    close();
}

void Sender::start(bool periodic) {
    for (auto& link : links_)
        link->start_lookup();
    const bool any_names =
        std::any_of(links_.begin(), links_.end(), [](const auto& l) { return !l->numeric; });
    if (!periodic || !any_names) return;
    resolve_timer_ = init_handle<uv_timer_t>(uv_timer_init, loop_, "uv_timer_init");
    resolve_timer_->data = this;
    const auto ms = static_cast<std::uint64_t>(resolve_interval_ms_);
    uv_check(uv_timer_start(resolve_timer_, &Sender::on_resolve_timer, ms, ms), "uv_timer_start");
    uv_unref(reinterpret_cast<uv_handle_t*>(resolve_timer_));
}

void Sender::on_resolve_timer(uv_timer_t* t) noexcept {
    auto* self = static_cast<Sender*>(t->data);
    for (auto& link : self->links_)
        link->start_lookup();
}

void Sender::on_control(Link& link, std::string_view datagram, bool partial) noexcept {
    // A datagram cut off by the buffer is longer than any control datagram: handed on as it is,
    // it does not decode.
    if (partial) datagram = datagram.substr(0, 0);
    const ControlAction a = responder_.on_datagram(
        link.index, datagram, static_cast<std::int64_t>(uv_now(loop_)), unix_time_ms());
    switch (a.kind) {
        case ControlAction::Kind::ignore:
            log_debug("control datagram ignored server={} reason={} bytes={}", link.name,
                      to_string(a.reason), datagram.size());
            return;
        case ControlAction::Kind::ack: {
            const AckChange change = link.acks.on_ack(a.sequence, monotonic_us());
            log_ack_change(change, link.name, 0, link.acks.round_trip_us());
            return;
        }
        case ControlAction::Kind::answer: {
            uv_buf_t buf = uv_buf_init(const_cast<char*>(a.answer.data()),
                                       static_cast<unsigned>(a.answer.size()));
            if (!link.socket || uv_udp_try_send(link.socket, &buf, 1, nullptr) < 0) {
                ++answers_unsent_;
            }
            return;
        }
        case ControlAction::Kind::plan:
            if (plan_handler_) plan_handler_(*a.plan, a.plan_version, link.name);
            return;
    }
}

std::vector<ServerAcks> Sender::acks() const {
    std::vector<ServerAcks> out;
    for (const auto& link : links_) {
        out.push_back(
            {link->name, link->acks.state(), link->acks.last_acked(), link->acks.round_trip_us()});
    }
    return out;
}

bool Sender::all_acknowledged(std::uint64_t sequence) const noexcept {
    return std::all_of(links_.begin(), links_.end(),
                       [&](const auto& l) { return l->acks.last_acked() >= sequence; });
}

std::size_t Sender::servers_unacknowledging() const noexcept {
    return static_cast<std::size_t>(std::count_if(links_.begin(), links_.end(), [](const auto& l) {
        return l->acks.state() == AckState::unheard;
    }));
}

std::size_t Sender::send(const std::vector<std::string>& datagrams,
                         std::uint64_t sequence) noexcept {
    std::size_t delivered = 0;
    const std::int64_t now_us = monotonic_us();
    for (auto& link : links_) {
        if (link->sent_since_beat && !link->error_since_beat && link->delivery.succeed()) {
            log_info("server reachable again server={} address={}", link->name,
                     sockaddr_to_string(reinterpret_cast<const sockaddr*>(&link->addr)));
        }
        link->sent_since_beat = false;
        link->error_since_beat = false;
        // A socket that could not be connected (no route yet while the network comes up at
        // boot) is tried again at every beat.
        if (!link->socket && link->has_addr) {
            sockaddr_storage addr = link->addr;
            link->connect(reinterpret_cast<const sockaddr*>(&addr));
        }
        if (!link->socket) continue;
        bool all = true;
        for (const std::string& d : datagrams) {
            uv_buf_t buf =
                uv_buf_init(const_cast<char*>(d.data()), static_cast<unsigned>(d.size()));
            const int rc = uv_udp_try_send(link->socket, &buf, 1, nullptr);
            if (rc < 0) {
                link->delivery_error(uv_strerror(rc));
                all = false;
                break;
            }
        }
        link->sent_since_beat = all;
        delivered += all;
        if (all && !datagrams.empty()) {
            const AckChange change = link->acks.on_beat_sent(sequence, now_us);
            log_ack_change(change, link->name, link->acks.unacked(), std::nullopt);
        }
    }
    return delivered;
}

bool Sender::resolving() const noexcept {
    for (const auto& link : links_) {
        if (link->lookup) return true;
    }
    return false;
}

void Sender::close() noexcept {
    if (closed_) return;
    closed_ = true;
    for (auto& link : links_) {
        link->closed = true;
        link->close_socket();
        if (link->lookup) uv_cancel(reinterpret_cast<uv_req_t*>(&link->lookup->req));
    }
    close_handle(resolve_timer_);
}

}  // namespace beat
