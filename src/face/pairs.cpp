#include "face/pairs.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <unordered_map>

#include "common/error.h"

namespace hipp::face {

std::vector<Pair> sample_pairs(const std::vector<std::string>& files, const std::string& identity_file,
                               int count, uint64_t seed) {
  std::ifstream in(identity_file);
  if (!in) throw Error(identity_file + ": cannot open identity list");
  std::unordered_map<std::string, std::string> identity;
  std::string name, id;
  while (in >> name >> id) identity[name] = id;

  std::map<std::string, std::vector<std::string>> by_id;  // ordered: the draw must not depend on hashing
  for (const auto& f : files)
    if (auto it = identity.find(std::filesystem::path(f).filename().string()); it != identity.end())
      by_id[it->second].push_back(f);
  std::vector<const std::vector<std::string>*> people, repeated;
  for (const auto& [person, images] : by_id) {
    people.push_back(&images);
    if (images.size() >= 2) repeated.push_back(&images);
  }
  if (repeated.empty() || people.size() < 2)
    throw Error(identity_file + ": names too few of the images (need two people, one with two images)");

  std::mt19937_64 rng(seed);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };  // % is portable; bias is negligible
  std::vector<Pair> pairs;
  for (int i = 0; i < count; ++i) {
    if (i < count / 2) {
      const auto& imgs = *repeated[pick(repeated.size())];
      size_t j = pick(imgs.size()), k = (j + 1 + pick(imgs.size() - 1)) % imgs.size();
      pairs.push_back({imgs[j], imgs[k], true});
    } else {
      size_t p = pick(people.size()), q = (p + 1 + pick(people.size() - 1)) % people.size();
      pairs.push_back({(*people[p])[pick(people[p]->size())], (*people[q])[pick(people[q]->size())], false});
    }
  }
  return pairs;
}

}  // namespace hipp::face
