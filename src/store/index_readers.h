// IndexReaders: read-only connections to one user's index, beside its one
// writer connection.
//
// SQLite in WAL mode lets readers go on while a writer commits; a reader
// sees the last commit at the start of its read transaction. With the
// writer's connection alone, every FETCH, STATUS or LIST of a mailbox
// waited for the APPEND or EXPUNGE ahead of it to finish its commit, WAL
// fsync included. Reads take a connection of their own from here instead.
//
// Connections are opened on demand (at most one per thread reading at the
// same time, which the worker pool bounds) and up to kKeptIdle are kept.
// Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "store/index_db.h"

namespace loft::store::internal {

class IndexReaders {
 public:
  static constexpr size_t kKeptIdle = 4;

  explicit IndexReaders(std::filesystem::path index_file) : file_(std::move(index_file)) {}

  // A connection for one read, back to the pool when the lease goes.
  class Lease {
   public:
    Lease(IndexReaders& pool, std::unique_ptr<IndexDb> db) : pool_(&pool), db_(std::move(db)) {}
    ~Lease() {
      if (db_) pool_->give_back(std::move(db_));
    }
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    IndexDb& operator*() const { return *db_; }
    IndexDb* operator->() const { return db_.get(); }

   private:
    IndexReaders* pool_;
    std::unique_ptr<IndexDb> db_;
  };

  Lease acquire();

  // Connections open now, idle ones included (tests).
  size_t open_count() const;

 private:
  void give_back(std::unique_ptr<IndexDb> db);

  const std::filesystem::path file_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<IndexDb>> idle_;
  size_t open_ = 0;
};

}  // namespace loft::store::internal
