#pragma once
// A second guess of each pixel for the repair data (repair.h): the image's block means,
// interpolated bilinearly. Where a scheme's restoration is far off (HIPP on content its flow
// has never seen, scaled hard by the range fit), the residual against this smooth guess is
// smaller, and cheaper to store, than the residual against the restoration.
#include <torch/torch.h>

namespace hipp::repair {

// uint8 [3,H,W] -> uint8 [3,H,W]: each channel's block means (edge blocks cut short average
// their own pixels), rounded, then interpolated between block centres. Integer arithmetic only,
// so protect and restore compute the same bytes on any machine.
torch::Tensor smooth_prediction(const torch::Tensor& rgb, int block);

}  // namespace hipp::repair
