#pragma once
// Training and evaluation data: image folders read into memory as uint8 [N,3,S,S] tensors,
// with a deterministic train/test split that keeps every person on one side.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "data/image_set.h"

namespace hipp::data {

// Image files (jpg, jpeg, png, bmp, webp) under each folder, recursively, sorted.
// A path that is a file is taken as is. Throws hipp::Error if a folder is missing or nothing is found.
std::vector<std::string> list_images(const std::vector<std::string>& paths);


// Keeps the files on one side of the split. With `identity_file` (CelebA's identity_CelebA.txt:
// "<file name> <identity>"), a file goes to test when a stable hash of its identity falls in
// `test_fraction`, so no person is on both sides; files the list does not name are split by
// the hash of their name.
std::vector<std::string> select_split(const std::vector<std::string>& files, Split split,
                                      const std::string& identity_file, double test_fraction);

// Decodes in parallel, center-crops (crop_fraction of the short side) and resizes to size x size.
// Unreadable files are skipped with a warning; none readable throws.
ImageSet load_images(const std::vector<std::string>& files, int size, double crop_fraction, bool show_progress);

}  // namespace hipp::data
