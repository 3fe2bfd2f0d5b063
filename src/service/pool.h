#pragma once
// A fixed set of Protectors for concurrent requests (hipp serve): each request borrows one for
// its whole protect or restore, so `workers` run at once; up to `queue` more wait for one, and
// any beyond that are turned away at once (the server answers 503) rather than piling up.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "service/protector.h"

namespace hipp::service {

class ProtectorPool {
 public:
  ProtectorPool(const keys::KeySource& key, torch::Device device, int workers, int queue);

  // One Protector, given back when the lease goes.
  class Lease {
   public:
    Lease(Lease&& other) noexcept : pool_(other.pool_), index_(other.index_) { other.pool_ = nullptr; }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease();
    Protector& operator*() const;
    Protector* operator->() const { return &**this; }

   private:
    friend class ProtectorPool;
    Lease(ProtectorPool* pool, size_t index) : pool_(pool), index_(index) {}
    ProtectorPool* pool_;
    size_t index_;
  };

  // A free Protector, waiting up to `max_wait` for one; nothing when `queue` requests already
  // wait or the wait runs out.
  std::optional<Lease> acquire(std::chrono::milliseconds max_wait);
  int workers() const { return static_cast<int>(protectors_.size()); }
  int queue() const { return queue_; }

 private:
  void give_back(size_t index);
  std::vector<std::unique_ptr<Protector>> protectors_;
  std::vector<size_t> free_;
  int queue_;
  int waiting_ = 0;
  std::mutex mu_;
  std::condition_variable freed_;
};

}  // namespace hipp::service
