#pragma once
// Face verification pairs for validating the face network: half of one identity, half of two.
#include <cstdint>
#include <string>
#include <vector>

namespace hipp::face {

struct Pair {
  std::string a, b;  // image paths
  bool same;         // same identity
};

// `count` pairs (count/2 same-identity, the rest different) from the `files` that the identity
// list (CelebA's "<file name> <identity>") names, drawn with `seed`: the same inputs give the same
// pairs. Throws hipp::Error when the list names too few of the files to draw from.
std::vector<Pair> sample_pairs(const std::vector<std::string>& files, const std::string& identity_file,
                               int count, uint64_t seed);

}  // namespace hipp::face
