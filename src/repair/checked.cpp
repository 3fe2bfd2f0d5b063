#include "repair/checked.h"

#include "common/error.h"
#include "container/protected_jpeg.h"
#include "image/heif.h"
#include "image/jpeg_xl.h"
#include "repair/block_coding.h"

namespace hipp::repair {
namespace {

constexpr const char* kOriginalLabel = "hipp/original";

// A version 5 to 7 file's original: the file as the user had it (a JPEG, or in version 7 a HEIF
// or a PNG), whatever became of the pixels.
torch::Tensor kept_original(const container::Parsed& p, const crypto::Key& master, const std::string& where,
                            std::vector<uint8_t>* restored_original) {
  auto file = crypt(p.header.original, master, p.header.nonce, kOriginalLabel);
  auto damaged = [&](const std::string& why) { return Error(ErrorKind::damaged, "damaged hipp file (the kept original " + why + ")"); };
  if (p.header.original_jxl) {
    try {
      file = image::jpeg_xl_unpack(file);
    } catch (const Error& e) {
      if (e.kind == ErrorKind::unsupported) throw;  // a build without libjxl
      throw damaged("is " + std::string(e.what()));
    }
  }
  const auto format = container::kept_format(p.header);
  if (format == "heif" ? !image::is_heif(file) : format == "png" ? !image::is_png(file) : !image::is_jpeg(file))
    throw damaged("is not a " + std::string(format == "heif" ? "HEIF file" : format == "png" ? "PNG" : "JPEG"));
  torch::Tensor rgb;
  try {  // silent: what 8-bit RGB loses comes back with the file
    rgb = image::decode(file, where, image::Orientation::apply, image::Conversions::silent);
  } catch (const Error& e) {
    if (e.kind == ErrorKind::too_large || e.kind == ErrorKind::unsupported) throw;  // --max-pixels; a build without libheif
    throw damaged("does not decode");
  }
  // Its size as shown or, for files protected before hipp turned photos as their EXIF says, as stored.
  auto [stored_w, stored_h] = image::header_size(file);
  auto fits = [&](int64_t h, int64_t w) { return h == p.rgb.size(1) && w == p.rgb.size(2); };
  if (!fits(rgb.size(1), rgb.size(2)) && !fits(stored_h, stored_w)) throw damaged("is not the protected image's size");
  if (restored_original) *restored_original = std::move(file);
  return rgb;
}

// The APP2 segments of the original's ICC profile where it fits the protected image's
// components: a JPEG's own segments, or a HEIF's profile cut into segments.
std::vector<uint8_t> icc_segments_for(const std::vector<uint8_t>& original, bool grey) {
  if (image::is_heif(original)) {
    auto profile = image::heif_icc_profile(original);
    return image::icc_space(profile) == (grey ? "GRAY" : "RGB ") ? image::icc_segments(profile) : std::vector<uint8_t>{};
  }
  auto extras = image::jpeg_extras(original);
  return extras.icc_space == (grey ? "GRAY" : "RGB ") ? std::move(extras.icc_segments) : std::vector<uint8_t>{};
}

// What protect reports where no check ran: the block count alone.
RepairStats unchecked(const torch::Tensor& rgb, int block) {
  RepairStats st;
  st.blocks = BlockGrid::count(rgb.size(1), rgb.size(2), block);
  return st;
}

}  // namespace

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
                              const std::string& where, std::vector<uint8_t>* restored_original) {
  if (scheme.jpeg_native()) {
    if (p.jpeg.empty()) throw Error(where + ": a " + scheme.name() + " image must be a JPEG; this one is not");
    auto now = image::jpeg_settings_of(p.jpeg, where);
    if (p.header.origin && (now.luma_h != p.header.origin->luma_h || now.luma_v != p.header.origin->luma_v))
      throw Error(where + ": re-encoded with another chroma subsampling since protection, which moves the blocks " +
                  scheme.name() + " scrambled: it cannot be restored");
    auto jpeg = scheme.restore_jpeg(p.jpeg, master, p.header.nonce, p.header.side);
    if (auto icc = image::jpeg_extras(p.jpeg).icc_segments; !icc.empty()) jpeg = image::insert_segments(jpeg, icc);
    auto rgb = image::decode(jpeg, where);
    if (restored_original) *restored_original = std::move(jpeg);
    return rgb;
  }
  if (!p.header.original.empty()) return kept_original(p, master, where, restored_original);
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
  // Its restoration is the JPEG's coefficients, rewritten, with its colour profile (below): what
  // else the file holds would be lost.
  auto extras = image::jpeg_extras(original);
  if (extras.orientation != 1 || extras.trailing_bytes)
    throw Error(ErrorKind::unsupported,
                scheme.name() + " gives back a JPEG's image alone, and this one also holds " +
                    (extras.orientation != 1 ? "an EXIF orientation, which its restored image would lose"
                                             : std::to_string(extras.trailing_bytes) +
                                                   " bytes after its image (a motion photo's video, say)") +
                    ": use --scheme hipp, which keeps the whole file");
  h.repair.clear();
  // The protected JPEG has the photo's components and colours, so it carries the photo's colour
  // profile, which restore gives back with the coefficients (outside the header).
  auto jpeg = scheme.protect_jpeg(original, master, h.nonce, &h.side);
  if (!extras.icc_segments.empty()) jpeg = image::insert_segments(jpeg, extras.icc_segments);
  auto seen = image::decode(jpeg, "protected JPEG");
  auto back = image::decode(scheme.restore_jpeg(jpeg, master, h.nonce, h.side), "restored JPEG");
  if (!torch::equal(back, image::decode(original, "original", image::Orientation::as_stored)))
    throw Error(scheme.name() + ": the protected JPEG does not restore exactly (a bug: please report it)");
  if (stats) *stats = unchecked(back, h.block);
  return container::write_protected_jpeg(jpeg, seen, h, master);
}

// A protected PNG with the photo's colour chunks (a JPEG's or HEIF's profile as iCCP): its pixels
// are in the photo's colours, and restore gives the chunks back (outside the header, as in a
// JPEG).
std::vector<uint8_t> with_colour(const std::vector<uint8_t>& png, const std::vector<uint8_t>& original) {
  auto colour = container::png_colour_of(original);
  return colour.empty() ? png : container::insert_after_ihdr(png, colour);
}

// A file that keeps its original, its protected image at format.settings.quality or, where
// that file would outgrow format.max_expansion times the original's size, at the highest
// quality down to kLowestFittedQuality whose file fits (or at that lowest one). The header's
// size does not depend on the pixels, so only the JPEG is encoded again.
std::vector<uint8_t> write_kept(const torch::Tensor& prot, bool grey, const container::Header& h,
                                const crypto::Key& master, const FileFormat& format,
                                const std::vector<uint8_t>& original) {
  // The protected image is in the photo's colours, so it carries the photo's colour profile
  // (a phone's Display P3, say) where that profile fits its components; else viewers would
  // show its thumbnail in other colours than the photo's.
  auto icc = icc_segments_for(original, grey);
  auto encode = [&](int quality) {
    auto settings = format.settings;
    settings.quality = quality;
    auto jpeg = grey ? image::encode_grey_jpeg(prot, quality) : image::encode_jpeg(prot, settings);
    return icc.empty() ? jpeg : image::insert_segments(jpeg, icc);
  };
  auto write = [&](const std::vector<uint8_t>& jpeg) {
    return container::write_protected_jpeg(jpeg, image::decode(jpeg, "protected JPEG"), h, master);
  };
  const int top = format.settings.quality;
  auto jpeg = encode(top);
  auto file = write(jpeg);
  const double cap = format.max_expansion * static_cast<double>(original.size());
  if (format.max_expansion <= 0 || file.size() <= cap || top <= kLowestFittedQuality) return file;
  const double budget = cap - static_cast<double>(file.size() - jpeg.size());
  std::vector<uint8_t> best;
  for (int lo = kLowestFittedQuality, hi = top - 1; lo <= hi;) {  // sizes fall with quality
    int mid = lo + (hi - lo) / 2;
    auto j = encode(mid);
    if (static_cast<double>(j.size()) <= budget)
      best = std::move(j), lo = mid + 1;
    else
      hi = mid - 1;
  }
  return write(best.empty() ? encode(kLowestFittedQuality) : best);
}

}  // namespace

std::vector<uint8_t> protect_file(const scheme::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                                  container::Header h, const RepairOptions& options, const FileFormat& format,
                                  RepairStats* stats, const std::vector<uint8_t>& original) {
  if (scheme.jpeg_native()) return protect_jpeg_native(scheme, master, h, format, stats, original);
  if (format.keeps(original)) {
    // The photo itself, encrypted: restore gives it back bit for bit. For a JPEG or HEIF that
    // costs less than repairing HIPP's restoration through the JPEG (docs/jpeg.md); for a 16-bit
    // or transparent PNG it is what 8-bit RGB pixels cannot give back. Restore reads only the
    // original, so the scheme's side data is not stored.
    h.side.clear(), h.repair.clear();
    auto prot = scheme.protect(rgb, master, h.nonce, &h.side);
    h.side.clear();
    // A JPEG recompressed by JPEG XL where that gives it back; a HEIF or PNG as it is (HEVC,
    // AV1 and deflate leave an entropy coder little to gain).
    h.original_as_is = !image::is_jpeg(original);
    auto packed = h.original_as_is ? std::nullopt : image::jpeg_xl_pack(original);
    h.original_jxl = packed.has_value();
    h.original = crypt(packed ? *packed : original, master, h.nonce, kOriginalLabel);
    if (stats) *stats = unchecked(rgb, h.block), stats->original = true;
    if (!format.jpeg) return with_colour(container::write_protected_png(prot, h, master), original);
    // A black-and-white photo gets a black-and-white protected image: HIPP's colour there would
    // be noise. Nothing restores from these pixels, so they need not stay HIPP's own.
    return write_kept(image::is_grey(rgb) ? image::to_grey(prot) : prot, image::is_grey(rgb), h, master, format,
                      original);
  }
  if (!format.jpeg) {
    auto prot = protect_checked(scheme, rgb, master, h, options, stats);  // fills h's side and repair data first
    return with_colour(container::write_protected_png(prot, h, master), original);
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
