#include "repair/checked.h"

#include "common/error.h"
#include "container/protected_jpeg.h"

namespace hipp::repair {

torch::Tensor protect_checked(const scheme::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                              container::Header& h, const RepairOptions& options, RepairStats* stats,
                              const Transmit& transmit) {
  auto prot = scheme.protect(rgb, master, h.nonce, &h.side);
  auto restored = scheme.restore(transmit ? transmit(prot) : prot, master, h.nonce, h.side);
  auto r = make_repair(rgb, restored, h.block, options);
  h.repair = crypt(std::move(r.payload), master, h.nonce);
  if (stats) *stats = r.stats;
  return prot;
}

torch::Tensor restore_checked(const scheme::Scheme& scheme, const container::Parsed& p, const crypto::Key& master,
                              const std::string& where, std::vector<uint8_t>* restored_jpeg) {
  if (scheme.jpeg_native()) {
    if (p.jpeg.empty()) throw Error(where + ": a " + scheme.name() + " image must be a JPEG; this one is not");
    auto now = image::jpeg_settings_of(p.jpeg, where);
    if (p.header.origin && (now.luma_h != p.header.origin->luma_h || now.luma_v != p.header.origin->luma_v))
      throw Error(where + ": re-encoded with another chroma subsampling since protection, which moves the blocks " +
                  scheme.name() + " scrambled: it cannot be restored");
    auto jpeg = scheme.restore_jpeg(p.jpeg, master, p.header.nonce, p.header.side);
    auto rgb = image::decode(jpeg, where);
    if (restored_jpeg) *restored_jpeg = std::move(jpeg);
    return rgb;
  }
  auto restored = scheme.restore(p.rgb, master, p.header.nonce, p.header.side);
  if (p.header.repair.empty()) return restored;
  return apply_repair(restored, crypt(p.header.repair, master, p.header.nonce), p.header.block, where);
}

namespace {

// A JPEG-native scheme: the original's coefficients protected, and the restoration that
// `hipp restore` will run checked to give the original's pixels exactly.
std::vector<uint8_t> protect_jpeg_native(const scheme::Scheme& scheme, const crypto::Key& master,
                                         container::Header& h, const FileFormat& format, RepairStats* stats,
                                         const std::vector<uint8_t>& original) {
  if (!image::is_jpeg(original)) throw Error(ErrorKind::usage, scheme.name() + " protects JPEG photos only (this one is not a JPEG)");
  if (!format.jpeg) throw Error(ErrorKind::usage, scheme.name() + " writes protected JPEGs only (not --format png)");
  h.repair.clear();
  auto jpeg = scheme.protect_jpeg(original, master, h.nonce, &h.side);
  auto seen = image::decode(jpeg, "protected JPEG");
  auto back = image::decode(scheme.restore_jpeg(jpeg, master, h.nonce, h.side), "restored JPEG");
  if (!torch::equal(back, image::decode(original, "original")))
    throw Error(scheme.name() + ": the protected JPEG does not restore exactly (a bug: please report it)");
  if (stats) {
    *stats = {};
    stats->blocks = ((back.size(1) + h.block - 1) / h.block) * ((back.size(2) + h.block - 1) / h.block);
  }
  return container::write_protected_jpeg(jpeg, seen, h, master);
}

}  // namespace

std::vector<uint8_t> protect_file(const scheme::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                                  container::Header h, const RepairOptions& options, const FileFormat& format,
                                  RepairStats* stats, const std::vector<uint8_t>& original) {
  if (scheme.jpeg_native()) return protect_jpeg_native(scheme, master, h, format, stats, original);
  if (!format.jpeg) {
    auto prot = protect_checked(scheme, rgb, master, h, options, stats);  // fills h's side and repair data first
    return container::write_protected_png(prot, h, master);
  }
  std::vector<uint8_t> jpeg;
  torch::Tensor seen;
  protect_checked(scheme, rgb, master, h, options, stats, [&](const torch::Tensor& prot) {
    jpeg = image::encode_jpeg(prot, format.settings);
    return seen = image::decode(jpeg, "protected JPEG");
  });
  return container::write_protected_jpeg(jpeg, seen, h, master);
}

}  // namespace hipp::repair
