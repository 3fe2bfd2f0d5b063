#include "data/image_folder.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <unordered_map>

#include "common/error.h"
#include "common/progress.h"
#include "image/image.h"

namespace hipp::data {
namespace fs = std::filesystem;

namespace {

bool is_image_name(const fs::path& p) {
  auto ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" ||
         image::is_heif_extension(ext);
}

// FNV-1a: unlike std::hash, the same on every platform and build, so splits are reproducible.
uint64_t stable_hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  return h;
}

bool in_test(const std::string& key, double fraction) {
  return static_cast<double>(stable_hash(key) % 1000000) < fraction * 1000000.0;
}

}  // namespace

std::vector<std::string> list_images(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (auto& p : paths) {
    std::error_code ec;
    if (fs::is_regular_file(p, ec)) {
      files.push_back(p);
      continue;
    }
    if (!fs::is_directory(p, ec)) throw Error(p + ": no such folder");
    for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::follow_directory_symlink);
         it != fs::recursive_directory_iterator(); ++it)
      if (it->is_regular_file() && is_image_name(it->path())) files.push_back(it->path().string());
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error("no images (jpg, png, bmp, webp) found in the given folders");
  return files;
}

std::vector<std::string> select_split(const std::vector<std::string>& files, Split split,
                                      const std::string& identity_file, double test_fraction) {
  if (split == Split::All) return files;
  std::unordered_map<std::string, std::string> identity;
  if (!identity_file.empty()) {
    std::ifstream in(identity_file);
    if (!in) throw Error(identity_file + ": cannot open identity list");
    std::string name, id;
    while (in >> name >> id) identity[name] = id;
    if (identity.empty()) throw Error(identity_file + ": no '<file> <identity>' lines");
  }
  std::vector<std::string> out;
  for (auto& f : files) {
    auto name = fs::path(f).filename().string();
    auto it = identity.find(name);
    std::string key = it != identity.end() ? "id:" + it->second : "file:" + name;
    if (in_test(key, test_fraction) == (split == Split::Test)) out.push_back(f);
  }
  return out;
}

ImageSet load_images(const std::vector<std::string>& files, int size, double crop_fraction, bool show_progress) {
  const int64_t n = static_cast<int64_t>(files.size());
  auto all = torch::empty({n, 3, size, size}, torch::kUInt8);
  std::vector<char> ok(n, 0);
  std::atomic<long> done{0};
  Progress progress("loading images", n);
  at::parallel_for(0, n, 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      try {
        all[i].copy_(image::center_crop_resize(image::load(files[i]), size, crop_fraction));
        ok[i] = 1;
      } catch (const std::exception& e) {
        spdlog::warn("skipping {}", e.what());
      }
      long d = ++done;
      if (show_progress && at::get_thread_num() == 0) progress.update(d);
    }
  });
  ImageSet set;
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < n; ++i)
    if (ok[i]) {
      keep.push_back(i);
      set.paths.push_back(files[i]);
    }
  if (keep.empty()) throw Error("none of the " + std::to_string(n) + " images could be read");
  set.images = keep.size() == files.size() ? all : all.index_select(0, torch::tensor(keep));
  if (show_progress) progress.finish();
  return set;
}

}  // namespace hipp::data
