// loft serve: wires configuration, store, authentication and the protocol
// sessions to the network layer, then serves until SIGTERM.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <malloc.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>
#include <memory>
#include <optional>

#include "auth/auth.h"
#include "cli/commands.h"
#include "cli/privileges.h"
#include "cli/sysexits.h"
#include "imap/imap.h"
#include "lmtp/lmtp.h"
#include "net/server.h"
#include "net/tls.h"
#include "pop3/pop3.h"
#include "store/store.h"

namespace loft::cli {
namespace {

Config effective_config(const ServeArgs& args) {
  Config c = args.source.load();
  if (!args.listeners.empty()) c.listeners = args.listeners;
  if (args.tls_cert.has_value() != args.tls_key.has_value())
    throw ConfigError("--tls-cert and --tls-key must be given together");
  if (args.tls_cert) {
    c.tls_cert = *args.tls_cert;
    c.tls_key = *args.tls_key;
  }
  for (auto& l : c.listeners) net::parse_address(l.address);  // validates, throws invalid_argument
  return c;
}

pop3::Options pop3_options(const Config& c) {
  pop3::Options o;
  o.hostname = c.hostname;
  o.plaintext_on_loopback = c.plaintext_on_loopback;
  o.plaintext_without_tls = c.plaintext_without_tls;
  o.apop = c.apop;
  o.login_timeout = std::chrono::seconds(c.login_timeout);
  o.idle_timeout = std::chrono::seconds(c.pop3_idle_timeout);
  return o;
}

imap::Options imap_options(const Config& c, util::ByteBudget& message_memory) {
  imap::Options o;
  o.message_memory = &message_memory;
  o.hostname = c.hostname;
  o.plaintext_on_loopback = c.plaintext_on_loopback;
  o.plaintext_without_tls = c.plaintext_without_tls;
  o.login_timeout = std::chrono::seconds(c.login_timeout);
  o.idle_timeout = std::chrono::seconds(c.imap_idle_timeout);
  o.append_limit = c.max_message_size;
  return o;
}

lmtp::Options lmtp_options(const Config& c, util::ByteBudget& message_memory) {
  lmtp::Options o;
  o.message_memory = &message_memory;
  o.hostname = c.hostname;
  o.max_message_size = c.max_message_size;
  o.idle_timeout = std::chrono::seconds(c.lmtp_idle_timeout);
  return o;
}

net::Limits limits(const Config& c) {
  return net::Limits{c.max_connections, c.max_connections_per_ip};
}

// glibc raises its mmap threshold after a large block is freed (up to
// 32 MiB), after which such blocks come from the freeing thread's arena and
// stay there: every worker that once built a 4 MiB FETCH batch or a 32 MiB
// SEARCH batch would keep it for good. A fixed threshold keeps such big
// transient buffers mmap'ed and returned when freed. 1 MiB, not lower:
// output buffers of streamed RETR/FETCH (a few hundred KiB) come and go all
// the time, and mapping them costs a page fault and a zeroed page per 4 KiB.
// (argon2's 19 MiB work areas have their own pool, auth/password_hash.cc.)
void keep_big_blocks_unpooled() { mallopt(M_MMAP_THRESHOLD, 1024 * 1024); }

// Users' stores kept open after use (store::MaildirOptions::keep_open).
constexpr size_t kKeepUserStoresOpen = 256;

void set_log_level(const std::string& level) { spdlog::set_level(spdlog::level::from_str(level)); }

std::shared_ptr<net::TlsContext> load_tls(const Config& c) {
  if (c.self_signed()) net::ensure_self_signed(c.cert_path(), c.key_path(), c.hostname);
  return net::TlsContext::load(c.cert_path(), c.key_path());
}

}  // namespace

int run_serve(const ServeArgs& args) {
  Config config;
  try {
    config = effective_config(args);
  } catch (const std::exception& e) {
    std::cerr << "loft: " << e.what() << "\n";
    return kExitConfig;
  }
  // Logs go to stderr (stdout stays free for a supervisor's use).
  spdlog::set_default_logger(spdlog::stderr_color_mt("loft"));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  set_log_level(config.log_level);
  keep_big_blocks_unpooled();
  // Before any thread exists, so that only the loop sees the signals.
  net::Server::block_signals();

  try {
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) throw std::runtime_error("cannot create data directory " + config.data_dir.string() + ": " + ec.message());
    chmod(config.data_dir.c_str(), 0700);
    config.data_dir = std::filesystem::canonical(config.data_dir);

    // Root is needed only to bind low ports and to read a root-only key: do
    // that, drop privileges, and only then open the user database and the
    // store, so that every file Loft creates belongs to the unprivileged user.
    // Configuration mistakes are found before anything is bound.
    check_run_as(config.run_as);
    // The certificate is ready before any port accepts (a self-signed one is
    // made here, as root, and handed to the unprivileged user below).
    std::shared_ptr<net::TlsContext> tls;
    try {
      tls = load_tls(config);
    } catch (const std::exception& e) {
      throw ConfigError(e.what());
    }
    // Before the server: sessions give their room back as they go, which
    // may be in the server's destructor.
    util::ByteBudget message_memory(config.message_memory);
    net::Server server(config.worker_threads);
    server.set_limits(limits(config));

    std::unique_ptr<auth::UserDb> users;
    std::unique_ptr<store::Store> store;
    auth::Throttle throttle;
    pop3::MaildropLocks locks;
    std::optional<pop3::Context> pop3_ctx;
    std::optional<lmtp::Context> lmtp_ctx;
    std::optional<imap::Context> imap_ctx;
    for (auto& l : config.listeners) {
      net::ListenerSpec spec;
      spec.name = l.protocol;
      spec.address = l.address;
      spec.implicit_tls = l.protocol == "pop3s" || l.protocol == "imaps";
      if (l.protocol == "pop3" || l.protocol == "pop3s") {
        spec.factory = [&pop3_ctx](net::SessionHost& h) { return pop3::make_session(*pop3_ctx, h); };
      } else if (l.protocol == "lmtp") {
        spec.factory = [&lmtp_ctx](net::SessionHost& h) { return lmtp::make_session(*lmtp_ctx, h); };
      } else {
        spec.factory = [&imap_ctx](net::SessionHost& h) { return imap::make_session(*imap_ctx, h); };
      }
      server.listen(std::move(spec));
    }
    // Changes made by other processes (loft deliver) reach sessions here.
    server.watch_datagrams(config.notify_socket(), [&](std::string_view d) {
      auto nl = d.find('\n');
      if (nl == std::string_view::npos || !store) return;
      std::string user(d.substr(0, nl)), mailbox(d.substr(nl + 1));
      server.workers().submit([&store, user, mailbox] { store->notify_external(user, mailbox); });
    });

    std::vector<std::filesystem::path> made_as_root = {config.notify_socket().parent_path(),
                                                       config.notify_socket()};
    if (config.self_signed())
      made_as_root.insert(made_as_root.end(), {config.cert_path().parent_path(), config.cert_path(), config.key_path()});
    drop_privileges(config.run_as, config.data_dir, made_as_root);

    server.set_tls(tls);
    users = auth::UserDb::open(config.users_db());
    // LMTP adds its trace headers on top of the DATA limit.
    // The server keeps recently used stores open: deliveries spread over
    // many users would otherwise open and close an index per message.
    store::MaildirOptions store_opts = config.store_options(64 * 1024);
    store_opts.keep_open = kKeepUserStoresOpen;
    // This process's commits reach its sessions through the store's own
    // feed; the socket is for other processes' (loft deliver). Sending to
    // ourselves would wake every session of the mailbox a second time.
    store_opts.notify_socket.clear();
    store = store::open_maildir_store(store_opts);
    pop3_ctx.emplace(pop3::Context{*store, *users, throttle, locks, pop3_options(config)});
    lmtp_ctx.emplace(lmtp::Context{*store, *users, lmtp_options(config, message_memory)});
    imap_ctx.emplace(imap::Context{*store, *users, throttle, imap_options(config, message_memory)});
    server.start_listening();
    spdlog::info("Loft serving from {}", config.data_dir.string());

    server.run([&] {
      try {
        Config fresh = effective_config(args);
        fresh.data_dir = config.data_dir;  // the store stays where it is
        set_log_level(fresh.log_level);
        pop3_ctx->options = pop3_options(fresh);
        lmtp_ctx->options = lmtp_options(fresh, message_memory);
        imap_ctx->options = imap_options(fresh, message_memory);
        message_memory.set_limit(fresh.message_memory);
        server.set_limits(limits(fresh));
        server.set_tls(load_tls(fresh));
        if (fresh.listeners.size() != config.listeners.size())
          spdlog::warn("listener changes take effect at the next restart");
        config = fresh;
        spdlog::info("configuration and certificates reloaded");
      } catch (const std::exception& e) {
        spdlog::error("reload failed, keeping the running configuration: {}", e.what());
      }
    });
    spdlog::info("Loft stopped");
    return kExitOk;
  } catch (const ConfigError& e) {
    spdlog::critical("{}", e.what());
    return kExitConfig;
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return kExitSoftware;
  }
}

}  // namespace loft::cli
