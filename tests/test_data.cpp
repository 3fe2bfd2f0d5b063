// Image folders and the identity-disjoint train/test split.
#include <map>
#include <set>

#include "common/error.h"
#include "data/image_folder.h"
#include "test_util.h"

using namespace hipp;

TEST(Data, ListsImagesRecursivelyAndSorted) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "a/b");
  for (auto name : {"a/b/2.PNG", "a/1.jpg", "0.jpeg", "notes.txt"}) test::write_bytes(dir / name, "x");
  auto files = data::list_images({dir.path.string()});
  ASSERT_EQ(files.size(), 3u);
  EXPECT_TRUE(std::is_sorted(files.begin(), files.end()));
  EXPECT_THROW(data::list_images({dir / "missing"}), Error);
  std::filesystem::create_directories(dir / "empty");
  EXPECT_THROW(data::list_images({dir / "empty"}), Error);
}

TEST(Data, IdentitySplitKeepsEachPersonOnOneSide) {
  test::TempDir dir;
  std::ofstream ids(dir / "identity.txt");
  std::vector<std::string> files;
  std::map<std::string, int> identity;
  for (int i = 0; i < 2000; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "%06d.jpg", i);
    identity[name] = i % 97;
    ids << name << " " << i % 97 << "\n";
    files.push_back("/data/" + std::string(name));
  }
  ids.close();
  auto train = data::select_split(files, data::Split::Train, dir / "identity.txt", 0.2);
  auto test = data::select_split(files, data::Split::Test, dir / "identity.txt", 0.2);
  EXPECT_EQ(train.size() + test.size(), files.size());
  EXPECT_GT(test.size(), 100u);
  EXPECT_LT(test.size(), 900u);
  std::set<int> train_ids, test_ids;
  for (auto& f : train) train_ids.insert(identity[std::filesystem::path(f).filename().string()]);
  for (auto& f : test) test_ids.insert(identity[std::filesystem::path(f).filename().string()]);
  for (int id : test_ids) EXPECT_EQ(train_ids.count(id), 0u) << "identity " << id << " on both sides";
  // Deterministic: the same call gives the same split.
  EXPECT_EQ(test, data::select_split(files, data::Split::Test, dir / "identity.txt", 0.2));
  EXPECT_EQ(data::select_split(files, data::Split::All, "", 0.2).size(), files.size());
}

TEST(Data, LoadSkipsUnreadableFilesAndBatchesFlip) {
  test::TempDir dir;
  test::write_bytes(dir / "bad.jpg", "nope");
  auto files = data::list_images({test::fixture("scenes")});
  files.push_back(dir / "bad.jpg");
  auto set = data::load_images(files, 32, 1.0, false);
  EXPECT_EQ(set.images.size(0), static_cast<int64_t>(files.size()) - 1);
  EXPECT_EQ(set.images.sizes().slice(1), torch::IntArrayRef({3, 32, 32}));
  auto b = data::random_batch(set, 10, true);
  EXPECT_EQ(b.sizes(), torch::IntArrayRef({10, 3, 32, 32}));
  EXPECT_THROW(data::load_images({dir / "bad.jpg"}, 32, 1.0, false), Error);
}

// Zoomed windows are area-resized squares of the image: a flat image stays flat, a left-right
// ramp keeps its order, and without zoom a window is a plain crop of the pixels.
TEST(Data, ZoomedPatchesAreResizedWindows) {
  auto flat = torch::full({4, 3, 64, 64}, 100, torch::kUInt8);
  auto p = data::random_patches(flat, 16, true);
  EXPECT_EQ(p.sizes(), torch::IntArrayRef({4, 3, 16, 16}));
  EXPECT_EQ(p.scalar_type(), torch::kUInt8);
  EXPECT_TRUE(p.eq(100).all().item<bool>());
  auto ramp = torch::arange(64, torch::kUInt8).mul(3).view({1, 1, 1, 64}).expand({8, 3, 64, 64}).contiguous();
  auto z = data::random_patches(ramp, 16, true).to(torch::kInt);
  EXPECT_TRUE(z.narrow(3, 1, 15).ge(z.narrow(3, 0, 15)).all().item<bool>());
  auto spans = (z.select(3, 15) - z.select(3, 0)).select(1, 0).select(1, 0);
  // At least a 17-pixel window's span (44: its end pixels average pixels 0-1 and 15-16, under
  // the 45 of a plain 16-pixel crop), at most the whole image's.
  EXPECT_GE(spans.min().item<int>(), 44);
  EXPECT_LE(spans.max().item<int>(), 180);
  auto crop = data::random_patches(ramp, 16, false).to(torch::kInt);
  EXPECT_TRUE((crop.select(3, 15) - crop.select(3, 0)).eq(45).all().item<bool>());
}
