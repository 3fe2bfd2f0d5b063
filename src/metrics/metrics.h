#pragma once
// Image-quality metrics as the thumbnail-preserving-encryption literature defines them, on
// uint8 RGB images [3,H,W] of equal size.
#include <torch/torch.h>

namespace hipp::metrics {

// SSIM with an 11x11 Gaussian window (sigma 1.5) on 0..255 values, C1=(0.01*255)^2,
// C2=(0.03*255)^2, "valid" windows only, averaged over pixels and then channels.
// Images smaller than the window are compared with a window of their own size.
double ssim(const torch::Tensor& a, const torch::Tensor& b);
// PSNR in dB for 8-bit peak 255; identical images give +infinity.
double psnr(const torch::Tensor& a, const torch::Tensor& b);
// PSNR between the block-average thumbnails (float, unrounded) of a and b.
double thumbnail_psnr(const torch::Tensor& a, const torch::Tensor& b, int block);

}  // namespace hipp::metrics
