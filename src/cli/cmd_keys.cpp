// hipp keygen: a fresh random key file; hipp info: what a protected image's header says
// (nothing secret is stored there, and nothing secret is printed).
#include <sodium.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <iostream>

#include "cli/commands.h"
#include "container/protected_png.h"
#include "hipp/models.h"
#include "image/image.h"
#include "keys/key.h"
#include "repair/repair.h"
#include "scheme/registry.h"

namespace hipp::cli {

namespace {

std::string to_hex(const uint8_t* p, size_t n) {
  std::string s(2 * n + 1, '\0');
  sodium_bin2hex(s.data(), s.size(), p, n);
  s.pop_back();
  return s;
}

// The repair data's size, and with the key what it holds (repair/repair.h).
void print_repair(const container::Header& h, const std::vector<uint8_t>& bytes, const std::string& name,
                  const std::string& key_file) {
  std::cout << "repair:     " << h.repair.size() << " bytes, encrypted";
  if (key_file.empty()) {
    std::cout << " (-k KEY shows how many blocks it repairs)\n";
    return;
  }
  auto p = container::read_protected(bytes, name);
  auto master = container::master_for(h, keys::read_key_source(key_file), name);
  bool exact = container::verify(p, master, name);
  auto st = repair::read_stats(repair::crypt(h.repair, master, h.nonce));
  auto db = [](double v) { return std::isinf(v) ? std::string("exact") : fmt::format("{:.2f} dB", v); };
  std::cout << fmt::format(": {} of {} blocks carry a residual ({:.2f}%){}; worst block {} before repair, {} after\n",
                           st.repaired, st.blocks, 100 * st.rate(), st.lossless ? ", lossless" : "",
                           db(st.worst_before), db(st.worst_after));
  if (!exact) std::cout << "pixels:     re-encoded or edited since protection: restores approximately\n";
}

}  // namespace

void add_key_commands(CLI::App& app, Globals& g) {
  {
    auto out = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("keygen", "write a new random key file (mode 0600) for protect/restore");
    cmd->add_option("-o,--out", *out, "key file to create (an existing file is never replaced)")->required();
    cmd->callback([out, &g] {
      apply_globals(g);
      keys::generate_key_file(*out);
      spdlog::info("wrote a new key to {} (keep it secret and keep a copy: without it, images protected "
                   "with it cannot be restored)", *out);
    });
  }
  {
    auto in = std::make_shared<std::string>(), key = std::make_shared<std::string>();
    auto* cmd = app.add_subcommand("info", "show the hipp header of a protected image (no key needed, nothing secret)");
    cmd->add_option("file", *in, "protected PNG or JPEG")->required();
    cmd->add_option("-k,--key", *key, "optional: the image's key, to also show what its encrypted repair data holds");
    cmd->callback([in, key, &g] {
      apply_globals(g);
      auto bytes = hipp::read_file(*in);
      auto h = container::read_header(bytes, *in);
      bool model = false;
      for (auto b : h.model_id) model = model || b;
      // Which shipped model that is, if any (restore needs it; the id alone says nothing to a user).
      std::string model_name;
      if (model) {
        model_name = " (not among the models under '" + protect::models_dir() + "')";
        for (auto& m : protect::shipped_models())
          if (m.has_id(h.model_id)) model_name = " (" + m.name + (m.encoder.empty() ? "" : ", with its encoder E") + ")";
      }
      std::cout << "file:       " << *in << "\n"
                << "format:     hipp protected " << (h.pixel_tag ? "JPEG" : "PNG") << ", header version " << int(h.version) << " ("
                << container::serialize(h).size() << " bytes)\n"
                << "scheme:     " << h.scheme << "\n"
                << "model:      " << (model ? to_hex(h.model_id.data(), h.model_id.size()) + model_name : std::string("none"))
                << "\n"
                << "block:      " << h.block << "\n"
                << "size:       " << h.width << "x" << h.height << "\n";
      if (h.pixel_tag)  // the image everyone sees: its quality, as its tables say
        std::cout << "protected:  JPEG, quality " << image::jpeg_settings_of(bytes, *in).quality << "\n";
      if (h.origin)
        std::cout << "original:   JPEG, quality " << int(h.origin->quality) << ", "
                  << (h.origin->luma_h * h.origin->luma_v == 1 ? "4:4:4" : h.origin->luma_v == 1 ? "4:2:2" : "4:2:0")
                  << (h.original.empty() ? " (restore writes it back so)"
                                         : ", kept: " + std::to_string(h.original.size()) + " bytes" +
                                               (h.original_jxl ? " recompressed by JPEG XL" : "") +
                                               ", encrypted (restore gives it back bit for bit)")
                  << "\n";
      if (h.original_as_is)
        std::cout << "original:   " << (container::kept_format(h) == "heif" ? "HEIF" : "PNG") << ", kept: " << h.original.size()
                  << " bytes as it is, encrypted (restore gives it back bit for bit)\n";
      if (!h.side.empty())
        std::cout << "side data:  " << h.side.size() << " bytes, encrypted"
                  << (scheme::side_data_of(h.scheme).empty() ? "" : " (" + scheme::side_data_of(h.scheme) + ")") << "\n";
      if (!h.repair.empty()) print_repair(h, bytes, *in, *key);
      if (h.passphrase)
        std::cout << "key:        passphrase (Argon2id, " << h.argon2.ops << " passes, " << h.argon2.mem_kib
                  << " KiB memory)\n";
      else
        std::cout << "key:        raw key file (hipp keygen)\n";
    });
  }
}

}  // namespace hipp::cli
