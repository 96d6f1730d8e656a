// Parse results kept in the index so that IMAP FETCH ENVELOPE/BODYSTRUCTURE
// never reparses a message file: mime::ParseMessage() of the message exactly
// as stored (CRLF line ends), in mime::Message::Serialize() form.
//
// Parsing is pure CPU work on bytes that never change once stored (the
// caller's or a file's), so callers do it without holding the user's lock.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace loft::store::internal {

// The tree of a message's stored bytes.
std::string tree_of(std::string_view stored);

// The tree of a message file (mapped, not read into memory). Throws
// StoreError kNotFound when the file does not exist, kTemporary on I/O errors.
std::string tree_of_file(const std::filesystem::path& path);

// Whether a cached tree can be served for a message of this size: it must
// deserialise (mime::Message::Deserialize checks every reference) and cover
// exactly the message's bytes.
bool tree_is_usable(std::string_view tree, uint64_t message_size);

// `cached` when it is usable for these stored bytes, else their tree.
std::string cached_tree_or_parse(std::optional<std::string> cached, std::string_view stored);

}  // namespace loft::store::internal
