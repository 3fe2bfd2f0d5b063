#include "service/pool.h"

#include "common/error.h"

namespace hipp::service {

ProtectorPool::ProtectorPool(const keys::KeySource& key, torch::Device device, int workers, int queue)
    : queue_(queue) {
  if (workers < 1) throw Error(ErrorKind::usage, "at least one worker is needed");
  if (queue < 0) throw Error(ErrorKind::usage, "the queue cannot be negative");
  for (int i = 0; i < workers; ++i) {
    protectors_.push_back(std::make_unique<Protector>(key, device));
    free_.push_back(static_cast<size_t>(i));
  }
}

std::optional<ProtectorPool::Lease> ProtectorPool::acquire(std::chrono::milliseconds max_wait) {
  std::unique_lock<std::mutex> lock(mu_);
  if (free_.empty()) {
    if (waiting_ >= queue_) return std::nullopt;
    ++waiting_;
    const bool got = freed_.wait_for(lock, max_wait, [this] { return !free_.empty(); });
    --waiting_;
    if (!got) return std::nullopt;
  }
  size_t index = free_.back();
  free_.pop_back();
  return Lease(this, index);
}

void ProtectorPool::give_back(size_t index) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(index);
  }
  freed_.notify_one();
}

ProtectorPool::Lease::~Lease() {
  if (pool_) pool_->give_back(index_);
}

Protector& ProtectorPool::Lease::operator*() const { return *pool_->protectors_[index_]; }

}  // namespace hipp::service
