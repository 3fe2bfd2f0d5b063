// The protected-PNG container: header layout, PNG chunk surgery, and that every way a file
// can be wrong (not a PNG, not hipp's, newer, damaged, wrong key, altered) fails clearly.
#include <sodium.h>

#include <cstring>

#include "common/error.h"
#include "container/protected_png.h"
#include "image/image.h"
#include "keys/key.h"
#include "test_util.h"

using namespace hipp;
using namespace hipp::container;

namespace {

const auto key_of = &test::filled<32>;

keys::Argon2Params small_argon2() {
  return {crypto_pwhash_argon2id_OPSLIMIT_MIN, crypto_pwhash_argon2id_MEMLIMIT_MIN / 1024};
}

Header raw_header() {
  Header h;
  h.scheme = "hipp";
  for (size_t i = 0; i < h.model_id.size(); ++i) h.model_id[i] = static_cast<uint8_t>(i + 1);
  h.block = 8;
  h.width = 640;
  h.height = 480;
  h.nonce = crypto::random_nonce();
  h.check_tag.fill(0x11);
  h.mac.fill(0x22);
  return h;
}

Header passphrase_header() {
  Header h = raw_header();
  h.passphrase = true;
  randombytes_buf(h.salt.data(), h.salt.size());
  h.argon2 = keys::default_argon2();
  return h;
}

void expect_same(const Header& a, const Header& b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.scheme, b.scheme);
  EXPECT_EQ(a.model_id, b.model_id);
  EXPECT_EQ(a.block, b.block);
  EXPECT_EQ(a.width, b.width);
  EXPECT_EQ(a.height, b.height);
  EXPECT_EQ(a.passphrase, b.passphrase);
  if (a.passphrase) {
    EXPECT_EQ(a.salt, b.salt);
    EXPECT_EQ(a.argon2.ops, b.argon2.ops);
    EXPECT_EQ(a.argon2.mem_kib, b.argon2.mem_kib);
  }
  EXPECT_EQ(a.side, b.side);
  EXPECT_EQ(a.nonce, b.nonce);
  EXPECT_EQ(a.check_tag, b.check_tag);
  EXPECT_EQ(a.mac, b.mac);
}

// A small real photo (odd size, so rows and columns are not confused).
torch::Tensor photo() {
  static torch::Tensor img = image::resize(image::load(test::fixture("scenes/forest.jpg")), 45, 30);
  return img;
}

// A protected PNG of photo() under `master`, and its header payload.
struct Sample {
  std::vector<uint8_t> png;
  std::vector<uint8_t> payload;
};
Sample protect(const crypto::Key& master, const Header& h = raw_header()) {
  Sample s;
  s.png = write_protected_png(photo(), h, master);
  s.payload = *find_chunk(s.png, kChunkType);
  return s;
}

// `pixels` encoded afresh, carrying `payload` as its hipp chunk (with a correct CRC).
std::vector<uint8_t> repack(const torch::Tensor& pixels, const std::vector<uint8_t>& payload) {
  return add_chunk(image::encode_png(pixels), kChunkType, payload);
}

}  // namespace

TEST(Header, RoundTripsAndIsSmall) {
  Header raw = raw_header();
  auto rb = serialize(raw);
  expect_same(parse_header(rb), raw);
  Header pass = passphrase_header();
  auto pb = serialize(pass);
  expect_same(parse_header(pb), pass);

  EXPECT_EQ(rb.size(), 93u);   // scheme "hipp", with a model id, raw key
  EXPECT_EQ(pb.size(), 117u);  // + salt and Argon2 parameters
  Header nomodel = raw_header();
  nomodel.model_id.fill(0);
  nomodel.scheme = "tpe-ideal";
  auto nb = serialize(nomodel);
  EXPECT_EQ(nb.size(), 82u);   // no model id stored
  expect_same(parse_header(nb), nomodel);
  Header side = raw_header();
  side.side = {9, 8, 7, 6, 5};
  auto sb = serialize(side);
  EXPECT_EQ(sb.size(), 93u + 4 + 5);  // length and bytes of the scheme's side data
  expect_same(parse_header(sb), side);
  std::cout << "header bytes: raw " << rb.size() << ", passphrase " << pb.size() << ", tpe-ideal raw " << nb.size()
            << " (+12 per PNG chunk)\n";
}

TEST(Header, ParseRejectsMalformedBytes) {
  auto b = serialize(passphrase_header());
  auto bad = b;
  bad[0] = 'X';
  EXPECT_ERROR_HAS(parse_header(bad), "bad magic");
  EXPECT_ERROR_KIND(parse_header(bad), ErrorKind::damaged);
  bad = b;
  bad[4] = kHeaderVersion + 1;
  EXPECT_ERROR_HAS(parse_header(bad), "unsupported hipp header version " + std::to_string(kHeaderVersion + 1));
  EXPECT_ERROR_KIND(parse_header(bad), ErrorKind::unsupported);
  bad[4] = 0;
  EXPECT_ERROR_HAS(parse_header(bad), "unsupported hipp header version 0");
  bad = b;
  bad[4] = 5;  // version 6 defines all eight flag bits; version 5 not the last
  bad[5] |= 0x80;
  EXPECT_ERROR_HAS(parse_header(bad), "unknown flags");
  for (size_t n = 0; n < b.size(); ++n) {
    std::vector<uint8_t> cut(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_ERROR_HAS(parse_header(cut), "damaged hipp header");
  }
  bad = b;
  bad.push_back(0);
  EXPECT_ERROR_HAS(parse_header(bad), "trailing");
  bad = b;
  bad[5] &= ~1;  // claims a raw key: the salt and Argon2 bytes become trailing garbage
  EXPECT_ERROR_HAS(parse_header(bad), "damaged hipp header");
  // Argon2 memory (bytes 4+1+1+5+16+2+8+16+4 ..) set absurdly high.
  bad = b;
  size_t mem = 4 + 1 + 1 + 5 + 16 + 2 + 8 + 16 + 4;
  for (int i = 0; i < 4; ++i) bad[mem + i] = 0xFF;
  EXPECT_ERROR_HAS(parse_header(bad), "Argon2 memory");

  Header h = raw_header();
  h.scheme = "";
  EXPECT_THROW(serialize(h), Error);
  h.scheme = "has space";
  EXPECT_THROW(serialize(h), Error);
  h = raw_header();
  h.version = kHeaderVersion + 1;
  EXPECT_THROW(serialize(h), Error);
  // Version 3 holds no JPEG fields; version 4 round-trips them.
  h = raw_header();
  h.origin = Header::JpegOrigin{85, 2, 1};
  h.version = 3;
  EXPECT_THROW(serialize(h), Error);
  h.version = 4;
  h.pixel_tag = test::filled<16>(9);
  auto v4 = parse_header(serialize(h));
  EXPECT_EQ(v4.origin->quality, 85);
  EXPECT_EQ(v4.origin->luma_v, 1);
  EXPECT_EQ(*v4.pixel_tag, *h.pixel_tag);
  auto bad_origin = serialize(h);
  bad_origin[bad_origin.size() - 24 - 16 - 16 - 3] = 0;  // quality 0
  EXPECT_ERROR_HAS(parse_header(bad_origin), "JPEG origin");
  // Older versions are written only as they were (their MACs cover those bytes).
  h = raw_header();
  h.version = 1;
  h.side = {1};
  EXPECT_THROW(serialize(h), Error);
  h.version = 2;
  h.repair = {1};
  EXPECT_THROW(serialize(h), Error);
}

TEST(Header, RepairDataRoundTripsAndOlderVersionsCannotCarryIt) {
  Header with = raw_header();
  with.side = {1, 2, 3};
  with.repair = {4, 5, 6, 7};
  auto b = serialize(with);
  auto h = parse_header(b);
  expect_same(with, h);
  EXPECT_EQ(h.repair, with.repair);
  b[4] = 2;
  EXPECT_ERROR_HAS(parse_header(b), "unknown flags");
  // The repair length sits after the side data: 4+1+1+5+16+2+8 + 4+3.
  const size_t at = 4 + 1 + 1 + 5 + 16 + 2 + 8 + 4 + 3;
  b = serialize(with);
  ASSERT_EQ(b[at], 4);
  for (uint8_t v : {0, 5, 200}) {
    auto bad = b;
    bad[at] = v;
    EXPECT_THROW(parse_header(bad), Error) << int(v);
  }
}

// Version 5: a protected JPEG of a JPEG carries the original instead of repair data.
TEST(Header, AKeptOriginalRoundTripsInVersion5AndNeverBesideRepairData) {
  Header with = raw_header();
  with.side = {1, 2, 3};
  with.original = {0xFF, 0xD8, 9, 9};
  with.origin = Header::JpegOrigin{90, 2, 2};
  EXPECT_EQ(version_for(with), 5);
  with.version = 5;
  auto b = serialize(with);
  auto h = parse_header(b);
  EXPECT_EQ(h.version, 5);
  EXPECT_EQ(h.original, with.original);
  EXPECT_EQ(h.side, with.side);
  EXPECT_TRUE(h.repair.empty());
  b[4] = 4;
  EXPECT_ERROR_HAS(parse_header(b), "unknown flags");
  with.version = 4;
  EXPECT_ERROR_HAS(serialize(with), "hold no original");
  with.version = 5;
  with.repair = {4};
  EXPECT_ERROR_HAS(serialize(with), "an original and repair data");
  // Both flags set by hand: refused on reading too. The flags byte follows "HIPP" and the version.
  with.repair.clear();
  b = serialize(with);
  b[5] |= 8;
  EXPECT_ERROR_HAS(parse_header(b), "an original and repair data");
}

// Version 6: the kept original recompressed by JPEG XL, a flag on the version 5 field.
TEST(Header, AJpegXlOriginalIsVersion6AndNeedsTheOriginal) {
  Header with = raw_header();
  with.original = {7, 7, 7};
  with.original_jxl = true;
  EXPECT_EQ(version_for(with), 6);
  with.version = 6;
  auto b = serialize(with);
  auto h = parse_header(b);
  EXPECT_EQ(h.version, 6);
  EXPECT_TRUE(h.original_jxl);
  EXPECT_EQ(h.original, with.original);
  b[4] = 5;  // the flag means nothing to version 5
  EXPECT_ERROR_HAS(parse_header(b), "unknown flags");
  with.version = 5;
  EXPECT_ERROR_HAS(serialize(with), "hold no recompressed original");
  with.version = 6;
  with.original.clear();
  EXPECT_ERROR_HAS(serialize(with), "without the original");
  with.original_jxl = false;
  b = serialize(with);
  b[5] |= 128;  // the flags byte, set by hand
  EXPECT_ERROR_HAS(parse_header(b), "without the original");
}

TEST(Header, OlderVersionsSerializeAsTheirWritersDid) {
  // A version-1 or -2 file's MAC covers its own header bytes, so verifying it re-serializes
  // that version: the current layout without the newer fields, with the old version byte.
  for (uint8_t v : {1, 2}) {
    Header h = raw_header();
    h.version = v;
    if (v == 2) h.side = {9, 8};
    auto old = serialize(h);
    h.version = kHeaderVersion;
    auto now = serialize(h);
    now[4] = v;
    EXPECT_EQ(old, now) << int(v);
    EXPECT_EQ(parse_header(old).version, v);
  }
}

TEST(Header, Version1FilesStillParseAndCannotCarrySideData) {
  // Version 1 is version 2 without side data: the same bytes with the version byte set to 1.
  auto b = serialize(raw_header());
  b[4] = 1;
  auto h = parse_header(b);
  EXPECT_EQ(h.version, 1);
  EXPECT_TRUE(h.side.empty());
  Header with = raw_header();
  with.side = {1, 2, 3};
  auto w = serialize(with);
  w[4] = 1;
  EXPECT_ERROR_HAS(parse_header(w), "unknown flags");
}

TEST(Header, DamagedSideDataLengthsAreRefused) {
  Header with = raw_header();
  with.side = {1, 2, 3};
  auto b = serialize(with);
  // The length sits after scheme, model, block and size: 4+1+1+5+16+2+8.
  const size_t at = 4 + 1 + 1 + 5 + 16 + 2 + 8;
  ASSERT_EQ(b[at], 3);
  for (uint8_t v : {0, 4, 200}) {
    auto bad = b;
    bad[at] = v;
    SCOPED_TRACE(int(v));
    EXPECT_ERROR_HAS(parse_header(bad), "damaged hipp header");
  }
}

TEST(Header, BlockSizeZeroIsRefused) {
  auto b = serialize(raw_header());
  const size_t at = 4 + 1 + 1 + 5 + 16;  // the block (u16) after scheme and model
  ASSERT_EQ(b[at], 8);
  b[at] = 0;
  EXPECT_ERROR_KIND(parse_header(b), ErrorKind::damaged);
}

TEST(PngChunks, AddAndFind) {
  auto png = image::encode_png(photo());
  EXPECT_FALSE(find_chunk(png, "hiPp").has_value());
  std::vector<uint8_t> payload = {1, 2, 3, 250};
  auto with = add_chunk(png, "hiPp", payload);
  EXPECT_EQ(with.size(), png.size() + 12 + payload.size());
  EXPECT_EQ(*find_chunk(with, "hiPp"), payload);
  EXPECT_EQ(find_chunk(with, "IHDR")->size(), 13u);
  // Inserted just before IEND: the file still ends with the IEND chunk.
  std::vector<uint8_t> iend = {0, 0, 0, 0, 'I', 'E', 'N', 'D', 0xAE, 0x42, 0x60, 0x82};
  EXPECT_TRUE(std::equal(iend.begin(), iend.end(), with.end() - 12));
  // Still an ordinary PNG to every decoder.
  EXPECT_TRUE(torch::equal(image::decode(with, "with"), photo()));
  EXPECT_TRUE(find_chunk(add_chunk(png, "hiPp", {}), "hiPp")->empty());

  EXPECT_ERROR_HAS(find_chunk(add_chunk(with, "hiPp", payload), "hiPp"), "more than one");
  EXPECT_THROW(add_chunk(png, "hi1p", payload), Error);
  EXPECT_ERROR_HAS(find_chunk({1, 2, 3}, "hiPp"), "not a PNG");
}

TEST(PngChunks, EveryCrcAndTheStructureAreChecked) {
  auto with = add_chunk(image::encode_png(photo()), "hiPp", {9, 9, 9});
  // Flip one byte anywhere after the signature: a length, a type, data or a CRC.
  for (size_t i = 8; i < with.size(); i += 7) {
    auto bad = with;
    bad[i] ^= 0x04;
    SCOPED_TRACE("byte " + std::to_string(i));
    EXPECT_ERROR_HAS(find_chunk(bad, "hiPp"), "damaged PNG");
  }
  for (size_t n = 8; n < with.size(); n += 5) {
    std::vector<uint8_t> cut(with.begin(), with.begin() + static_cast<std::ptrdiff_t>(n));
    SCOPED_TRACE("cut at " + std::to_string(n));
    EXPECT_ERROR_HAS(find_chunk(cut, "hiPp"), "damaged PNG");
  }
}

TEST(Container, IsAnOrdinaryLosslessPng) {
  test::TempDir dir;
  auto s = protect(key_of(1));
  hipp::write_file_atomic(dir / "p.png", s.png);
  EXPECT_TRUE(torch::equal(image::load(dir / "p.png"), photo()));
  auto h = parse_header(s.payload);
  EXPECT_EQ(h.width, 45u);
  EXPECT_EQ(h.height, 30u);
  std::cout << "protected PNG " << s.png.size() << " bytes, plain PNG " << image::encode_png(photo()).size() << "\n";
}

TEST(Container, ReadAndVerifyRoundTrip) {
  test::TempDir dir;
  auto master = key_of(1);
  Header h = raw_header();
  auto s = protect(master, h);
  hipp::write_file_atomic(dir / "p.png", s.png);
  auto p = read_protected_file(dir / "p.png");
  EXPECT_TRUE(torch::equal(p.rgb, photo()));
  EXPECT_EQ(p.header.scheme, "hipp");
  EXPECT_EQ(p.header.model_id, h.model_id);
  EXPECT_EQ(p.header.block, 8);
  EXPECT_EQ(p.header.nonce, h.nonce);
  EXPECT_NO_THROW(verify(p, master, "p.png"));
  expect_same(read_header(s.png, "p.png"), p.header);
}

TEST(Container, PassphraseRoundTrip) {
  keys::KeySource src;
  src.kind = keys::KeySource::Passphrase;
  src.passphrase = "open sesame";
  Header h = raw_header();
  h.passphrase = true;
  randombytes_buf(h.salt.data(), h.salt.size());
  h.argon2 = small_argon2();
  auto png = write_protected_png(photo(), h, keys::derive_master(src, h.salt, h.argon2));

  auto p = read_protected_png(png, "p.png");
  EXPECT_TRUE(p.header.passphrase);
  EXPECT_EQ(p.header.salt, h.salt);
  EXPECT_NO_THROW(verify(p, master_for(p.header, src, "p.png"), "p.png"));

  src.passphrase = "open sesame!";
  EXPECT_ERROR_HAS(verify(p, master_for(p.header, src, "p.png"), "p.png"), "wrong key");
  keys::KeySource raw;
  raw.raw = key_of(1);
  EXPECT_ERROR_HAS(master_for(p.header, raw, "p.png"), "wrong key");
  auto rawp = read_protected_png(protect(key_of(1)).png, "r.png");
  EXPECT_ERROR_HAS(master_for(rawp.header, src, "r.png"), "wrong key");
  EXPECT_NO_THROW(verify(rawp, master_for(rawp.header, raw, "r.png"), "r.png"));
}

TEST(Container, WrongKeyIsReportedAsSuch) {
  auto s = protect(key_of(1));
  auto p = read_protected_png(s.png, "p.png");
  EXPECT_ERROR_HAS(verify(p, key_of(2), "p.png"), "p.png: wrong key");
  EXPECT_ERROR_KIND(verify(p, key_of(2), "p.png"), ErrorKind::wrong_key);
}

TEST(Container, ChangedPixelsAreDetected) {
  auto master = key_of(1);
  auto s = protect(master);
  auto pixels = photo().clone();
  pixels[1][7][11] += 1;
  auto edited = repack(pixels, s.payload);
  auto p = read_protected_png(edited, "p.png");  // parses fine: only the key can tell
  EXPECT_ERROR_HAS(verify(p, master, "p.png"), "altered");
  EXPECT_ERROR_KIND(verify(p, master, "p.png"), ErrorKind::altered);
  // Same pixels re-encoded (another PNG encoder would do this) still verify.
  EXPECT_NO_THROW(verify(read_protected_png(repack(photo(), s.payload), "p.png"), master, "p.png"));
  // A different image of the same size with the chunk copied over.
  auto other = image::resize(image::load(test::fixture("scenes/sea.jpg")), 45, 30);
  EXPECT_ERROR_HAS(verify(read_protected_png(repack(other, s.payload), "p.png"), master, "p.png"), "altered");
}

TEST(Container, ChangedSideDataIsDetected) {
  auto master = key_of(1);
  Header h = raw_header();
  h.side = {10, 20, 30, 40};
  auto s = protect(master, h);
  auto p = read_protected_png(s.png, "p.png");
  EXPECT_EQ(p.header.side, h.side);
  EXPECT_NO_THROW(verify(p, master, "p.png"));
  auto payload = s.payload;
  payload[4 + 1 + 1 + 5 + 16 + 2 + 8 + 4 + 2] ^= 0x01;  // third side byte
  EXPECT_ERROR_HAS(verify(read_protected_png(repack(photo(), payload), "p.png"), master, "p.png"), "altered");
}

TEST(Container, ChangedHeaderIsDetected) {
  auto master = key_of(1);
  auto s = protect(master);
  // Every byte of the payload flipped in turn (chunk CRC recomputed): the file never verifies.
  for (size_t i = 0; i < s.payload.size(); ++i) {
    auto payload = s.payload;
    payload[i] ^= 0x01;
    auto bytes = repack(photo(), payload);
    std::string msg = test::error_of([&] { verify(read_protected_png(bytes, "p.png"), master, "p.png"); });
    bool clear = msg.find("altered") != std::string::npos || msg.find("damaged") != std::string::npos ||
                 msg.find("unsupported") != std::string::npos || msg.find("wrong key") != std::string::npos;
    EXPECT_TRUE(clear) << "byte " << i << ": " << msg;
  }
  // The block size (byte 4+1+1+5+16) is caught by the MAC.
  auto payload = s.payload;
  payload[27] ^= 0x01;
  EXPECT_ERROR_HAS(verify(read_protected_png(repack(photo(), payload), "p.png"), master, "p.png"), "altered");
  // The width: caught before any key is needed.
  payload = s.payload;
  payload[29] ^= 0x01;
  EXPECT_ERROR_HAS(read_protected_png(repack(photo(), payload), "p.png"), "altered");
  // A newer version.
  payload = s.payload;
  payload[4] = kHeaderVersion + 1;
  EXPECT_ERROR_HAS(read_protected_png(repack(photo(), payload), "p.png"),
                   "p.png: unsupported hipp header version " + std::to_string(kHeaderVersion + 1));
}

TEST(Container, TruncatedFilesAreDamaged) {
  auto s = protect(key_of(1));
  for (size_t n : {s.png.size() - 1, s.png.size() - 12, s.png.size() / 2, size_t(40), size_t(9)}) {
    std::vector<uint8_t> cut(s.png.begin(), s.png.begin() + static_cast<std::ptrdiff_t>(n));
    EXPECT_ERROR_HAS(read_protected_png(cut, "p.png"), "p.png: damaged PNG");
  }
  std::vector<uint8_t> sig(s.png.begin(), s.png.begin() + 5);
  EXPECT_ERROR_HAS(read_protected_png(sig, "p.png"), "not a PNG");
  EXPECT_ERROR_HAS(read_protected_png({}, "p.png"), "p.png: empty file");
  auto bad = s.png;
  bad[bad.size() / 2] ^= 0xFF;  // inside IDAT, CRC left as is
  EXPECT_ERROR_HAS(read_protected_png(bad, "p.png"), "damaged PNG: CRC mismatch");
}

TEST(Container, FilesNotMadeByHippAreNamedAsSuch) {
  auto plain = image::encode_png(photo());
  EXPECT_ERROR_HAS(read_protected_png(plain, "plain.png"), "plain.png: a PNG that was not made by hipp");
  EXPECT_ERROR_KIND(read_protected_png(plain, "plain.png"), ErrorKind::not_protected);
  EXPECT_ERROR_HAS(read_header(plain, "plain.png"), "not made by hipp");
  auto jpeg = image::encode_jpeg(photo(), 90);
  EXPECT_ERROR_HAS(read_protected_png(jpeg, "x.jpg"), "x.jpg: a JPEG image");
  std::vector<uint8_t> noise(1000);
  randombytes_buf(noise.data(), noise.size());
  noise[0] = 0;
  EXPECT_ERROR_HAS(read_protected_png(noise, "noise"), "noise: not a PNG file");
  test::TempDir dir;
  EXPECT_ERROR_HAS(read_protected_file(dir / "missing.png"), "no such file");
  EXPECT_ERROR_HAS(read_protected_file(dir.path.string()), "directory");
}

TEST(Container, WriteRefusesIncompleteHeaders) {
  Header h = raw_header();
  h.nonce.fill(0);
  EXPECT_ERROR_HAS(write_protected_png(photo(), h, key_of(1)), "nonce");
  h = raw_header();
  h.passphrase = true;
  h.argon2 = small_argon2();
  EXPECT_ERROR_HAS(write_protected_png(photo(), h, key_of(1)), "salt");
  EXPECT_THROW(write_protected_png(photo().to(torch::kFloat32), raw_header(), key_of(1)), Error);
  EXPECT_THROW(write_protected_png(photo()[0], raw_header(), key_of(1)), Error);
}

TEST(Container, HeaderHoldsNoSecret) {
  auto master = key_of(0x5A);
  auto s = protect(master);
  auto contains = [&](const auto& secret) {
    return std::search(s.png.begin(), s.png.end(), secret.begin(), secret.end()) != s.png.end();
  };
  auto h = parse_header(s.payload);
  EXPECT_FALSE(contains(master));
  EXPECT_FALSE(contains(keys::derive_subkey(master, h.nonce, "check")));
  EXPECT_FALSE(contains(keys::derive_subkey(master, h.nonce, "mac")));
}
