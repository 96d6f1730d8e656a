// The configuration file: defaults, every section, and one-line errors for
// bad or unknown values.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "cli/config.h"

namespace loft::cli {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("loft-config-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path write(const std::string& text) {
    auto p = dir_ / "loft.toml";
    std::ofstream(p) << text;
    return p;
  }
  std::string error_of(const std::string& text) {
    try {
      load_config(write(text));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }
  std::filesystem::path dir_;
};

TEST_F(ConfigTest, EmbeddedDefault) {
  Config c = load_config(std::nullopt);
  EXPECT_EQ(c.data_dir, "loft-data");
  ASSERT_EQ(c.listeners.size(), 5u);
  EXPECT_EQ(c.listeners[0].protocol, "imap");
  EXPECT_EQ(c.listeners[0].address, "127.0.0.1:1143");
  EXPECT_EQ(c.listeners[4].address, "127.0.0.1:2424");
  EXPECT_TRUE(c.self_signed());
  EXPECT_EQ(c.cert_path(), std::filesystem::path("loft-data/tls/cert.pem"));
  EXPECT_FALSE(c.hostname.empty());
  EXPECT_TRUE(c.plaintext_on_loopback);
  EXPECT_FALSE(c.plaintext_without_tls);
  EXPECT_FALSE(c.apop);
}

TEST_F(ConfigTest, ReadsEverySection) {
  auto p = write(R"(
data_dir = "data"
hostname = "mail.example.com"
run_as = "mail"
[listeners]
pop3 = ["127.0.0.1:110", "[::1]:110"]
lmtp = "127.0.0.1:24"
[tls]
cert = "/etc/c.pem"
key = "k.pem"
[auth]
plaintext_on_loopback = false
apop = true
[limits]
max_message_size = "10M"
max_connections = 5
login_timeout = 30
[storage]
fsync = false
[log]
level = "debug"
)");
  Config c = load_config(p);
  EXPECT_EQ(c.data_dir, dir_ / "data");
  EXPECT_EQ(c.hostname, "mail.example.com");
  EXPECT_EQ(c.run_as, "mail");
  ASSERT_EQ(c.listeners.size(), 3u);
  EXPECT_EQ(c.listeners[0].protocol, "lmtp");  // toml++ keeps keys sorted
  EXPECT_EQ(c.listeners[1].address, "127.0.0.1:110");
  EXPECT_EQ(c.listeners[2].address, "[::1]:110");
  EXPECT_EQ(c.tls_cert, "/etc/c.pem");
  EXPECT_EQ(c.tls_key, dir_ / "k.pem");
  EXPECT_FALSE(c.plaintext_on_loopback);
  EXPECT_TRUE(c.apop);
  EXPECT_EQ(c.max_message_size, 10u << 20);
  EXPECT_EQ(c.max_connections, 5u);
  EXPECT_EQ(c.login_timeout, 30u);
  EXPECT_FALSE(c.fsync);
  EXPECT_EQ(c.log_level, "debug");
}

TEST_F(ConfigTest, ExampleFileIsValid) {
  Config c = load_config(std::filesystem::path(LOFT_SOURCE_DIR) / "etc" / "loft.toml.example");
  EXPECT_EQ(c.listeners.size(), 5u);
  EXPECT_EQ(c.max_message_size, 67108864u);
  EXPECT_EQ(c.message_memory, 512u << 20);
}

TEST_F(ConfigTest, MessageMemoryHoldsAtLeastOneMessageOfTheLargestSize) {
  EXPECT_EQ(load_config(std::nullopt).message_memory, 512u << 20);
  EXPECT_EQ(load_config(write("[limits]\nmessage_memory = \"100M\"\n")).message_memory, 100u << 20);
  // The default follows the largest message up.
  EXPECT_EQ(load_config(write("[limits]\nmax_message_size = \"1G\"\n")).message_memory, 1u << 30);
  try {
    load_config(write("[limits]\nmax_message_size = \"1G\"\nmessage_memory = \"100M\"\n"));
    ADD_FAILURE() << "accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("message_memory must be at least max_message_size"), std::string::npos)
        << e.what();
  }
}

TEST_F(ConfigTest, ErrorsAreOneLineAndNameTheKey) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"bogus = 1\n", "bogus: unknown setting"},
      {"[limits]\nmax_connections = -1\n", "limits.max_connections"},
      {"[limits]\nmax_connections = \"many\"\n", "limits.max_connections: expected a number"},
      {"[limits]\nmax_message_size = \"5X\"\n", "bad size suffix"},
      {"[auth]\napop = \"yes\"\n", "auth.apop: expected true or false"},
      {"[listeners]\nsmtp = [\"127.0.0.1:25\"]\n", "unknown protocol"},
      {"[listeners]\npop3 = [1]\n", "listeners.pop3"},
      {"[tls]\ncert = \"c.pem\"\n", "cert and key must be given together"},
      {"[log]\nlevel = \"loud\"\n", "log.level"},
      {"hostname = \n", "loft.toml:1"},
      {"listeners = 5\n", "expected a [listeners] section"},
  };
  for (auto& c : cases) {
    std::string err = error_of(c.text);
    EXPECT_NE(err.find(c.expect), std::string::npos) << c.text << " -> " << err;
    EXPECT_EQ(err.find('\n'), std::string::npos) << err;
  }
}

TEST_F(ConfigTest, MissingFileIsAnError) {
  EXPECT_THROW(load_config(dir_ / "nope.toml"), ConfigError);
}

}  // namespace
}  // namespace loft::cli
