#include "repair/checked.h"

namespace hipp::repair {

torch::Tensor protect_checked(const baselines::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                              container::Header& h, const RepairOptions& options, RepairStats* stats) {
  auto prot = scheme.protect(rgb, master, h.nonce, &h.side);
  auto restored = scheme.restore(prot, master, h.nonce, h.side);
  auto r = make_repair(rgb, restored, h.block, options);
  h.repair = crypt(std::move(r.payload), master, h.nonce);
  if (stats) *stats = r.stats;
  return prot;
}

torch::Tensor restore_checked(const baselines::Scheme& scheme, const container::Parsed& p, const crypto::Key& master,
                              const std::string& where) {
  auto restored = scheme.restore(p.rgb, master, p.header.nonce, p.header.side);
  if (p.header.repair.empty()) return restored;
  return apply_repair(restored, crypt(p.header.repair, master, p.header.nonce), p.header.block, where);
}

}  // namespace hipp::repair
