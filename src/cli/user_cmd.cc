// loft user add|passwd|del|list|import
#include <sys/stat.h>

#include <iostream>
#include <string>

#include "auth/auth.h"
#include "cli/commands.h"
#include "cli/privileges.h"
#include "cli/sysexits.h"
#include "store/store.h"

namespace loft::cli {
namespace {

int fail(int code, const std::string& msg) {
  std::cerr << "loft: " << msg << "\n";
  return code;
}

// Loads the configuration and opens the user database, creating the data
// directory on first use. Throws ConfigError / std::exception.
struct Env {
  Config config;
  std::unique_ptr<auth::UserDb> users;
};

Env open_env(const Source& src) {
  Env env{src.load(), nullptr};
  std::error_code ec;
  if (!std::filesystem::exists(env.config.data_dir)) {
    std::filesystem::create_directories(env.config.data_dir, ec);
    if (ec) throw std::runtime_error("cannot create " + env.config.data_dir.string() + ": " + ec.message());
    chmod(env.config.data_dir.c_str(), 0700);
  }
  become_data_owner(env.config.data_dir);
  env.users = auth::UserDb::open(env.config.users_db());
  return env;
}

bool read_password(std::string& out) {
  if (!std::getline(std::cin, out)) return false;
  while (!out.empty() && (out.back() == '\r' || out.back() == '\n')) out.pop_back();
  return !out.empty();
}

template <typename Fn>
int guarded(Fn fn) {
  try {
    return fn();
  } catch (const ConfigError& e) {
    return fail(kExitConfig, e.what());
  } catch (const std::exception& e) {
    return fail(kExitSoftware, e.what());
  }
}

}  // namespace

int run_user_add(const Source& src, const std::string& name) {
  return guarded([&] {
    Env env = open_env(src);
    if (!auth::UserDb::valid_name(name)) return fail(kExitDataErr, "invalid user name '" + name + "'");
    if (env.users->exists(name)) return fail(kExitCantCreate, "user '" + name + "' already exists");
    std::string password;
    if (!read_password(password)) return fail(kExitDataErr, "no password on stdin");
    env.users->add(name, password);
    if (env.config.apop) env.users->set_apop_secret(name, password);
    return kExitOk;
  });
}

int run_user_passwd(const Source& src, const std::string& name) {
  return guarded([&] {
    Env env = open_env(src);
    if (!env.users->exists(name)) return fail(kExitNoUser, "no such user '" + name + "'");
    std::string password;
    if (!read_password(password)) return fail(kExitDataErr, "no password on stdin");
    env.users->set_password(name, password);
    env.users->set_apop_secret(name, env.config.apop ? std::optional<std::string_view>(password) : std::nullopt);
    return kExitOk;
  });
}

int run_user_del(const Source& src, const std::string& name) {
  return guarded([&] {
    Env env = open_env(src);
    if (!env.users->exists(name)) return fail(kExitNoUser, "no such user '" + name + "'");
    env.users->remove(name);
    store::MaildirOptions opts;
    opts.root = env.config.mail_root();
    auto store = store::open_maildir_store(opts);
    store->remove_user(name);
    return kExitOk;
  });
}

int run_user_list(const Source& src) {
  return guarded([&] {
    Env env = open_env(src);
    for (auto& n : env.users->list()) std::cout << n << "\n";
    return kExitOk;
  });
}

int run_user_import(const Source& src, const std::filesystem::path& file) {
  return guarded([&] {
    Env env = open_env(src);
    size_t n = env.users->import_passwd_file(file);
    std::cerr << "imported " << n << " user" << (n == 1 ? "" : "s") << "\n";
    return kExitOk;
  });
}

}  // namespace loft::cli
