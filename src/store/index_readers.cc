#include "store/index_readers.h"

namespace loft::store::internal {

IndexReaders::Lease IndexReaders::acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<IndexDb> db = std::move(idle_.back());
      idle_.pop_back();
      return Lease(*this, std::move(db));
    }
    ++open_;
  }
  // Opened outside the lock: opening reads the file's header.
  try {
    return Lease(*this, std::make_unique<IndexDb>(file_, /*fsync=*/false, IndexDb::Role::kReader));
  } catch (...) {
    std::lock_guard lock(mu_);
    --open_;
    throw;
  }
}

void IndexReaders::give_back(std::unique_ptr<IndexDb> db) {
  if (!db) return;
  std::unique_ptr<IndexDb> extra;  // closed outside the lock
  std::lock_guard lock(mu_);
  if (idle_.size() < kKeptIdle) {
    idle_.push_back(std::move(db));
  } else {
    extra = std::move(db);
    --open_;
  }
}

size_t IndexReaders::open_count() const {
  std::lock_guard lock(mu_);
  return open_;
}

}  // namespace loft::store::internal
