#pragma once
// Keeping the protected image inside the 8-bit range. The flow draws the protected details
// freely around each block's mean, so in bright or dark blocks 1-4% of the pixels land outside
// 0..255; saving clips them, and clipping, not rounding, was most of HIPP's restoration error
// (a clipped value is lost, and the inverse flow spreads the loss over the block). Instead,
// each block and channel whose detail would leave the range has it scaled down about the
// block's mean, which keeps the thumbnail exact. The scale is stored as a 4-bit code per block
// and channel, encrypted, in the protected file (range_fit_storage.h); restoring scales it back
// up. This part needs no key, so the trainer-only build (no libsodium) simulates the fit too.
#include <torch/torch.h>

namespace hipp::protect {

// Code j scales a block's detail by 2^(-j/2); 0 leaves it alone, 15 scales by 1/181.
constexpr int kMaxRangeCode = 15;

// The code of the largest factor 2^(-j/2) not above `scale` (in (0, 1]); throws hipp::Error
// outside that range. code_scale is the factor of a code.
int scale_code(double scale);
double code_scale(int code);

// y: [N, C, H, W] in flow scale (8-bit levels L at (L + 0.5) / 256 - 0.5), H and W multiples of
// block. Returns uint8 codes [N, C, H/block, W/block] on y's device: per block and channel, the least scaling
// that keeps every value inside the range, and at least `min_code` (softer details everywhere:
// see HippScheme::set_detail_scale).
torch::Tensor range_codes(const torch::Tensor& y, int block, int min_code = 0);

// Scales each block's detail (deviation from its mean) by its code's factor; `undo` divides.
// Differentiable in y.
torch::Tensor scale_details(const torch::Tensor& y, const torch::Tensor& codes, int block, bool undo);
// The same in y's own memory, without gradients (a 12 MP photo's copy is 145 MB).
void scale_details_(torch::Tensor& y, const torch::Tensor& codes, int block, bool undo);

}  // namespace hipp::protect
