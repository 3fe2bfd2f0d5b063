#pragma once
// Protect and restore with the restoration check (repair.h): what `hipp protect`, `hipp serve`
// and `hipp eval` all run, so the numbers eval reports are the product's.
#include <torch/torch.h>

#include "baselines/scheme.h"
#include "container/protected_png.h"
#include "repair/repair.h"

namespace hipp::repair {

// Protects `rgb` with `scheme` under (master, h.nonce), filling h.side and h.repair; returns the
// protected pixels. The check restores from exactly the 8-bit pixels the file will hold (PNG is
// lossless, so no encode/decode round trip is needed to see what `hipp restore` will see).
torch::Tensor protect_checked(const baselines::Scheme& scheme, const torch::Tensor& rgb, const crypto::Key& master,
                              container::Header& h, const RepairOptions& options, RepairStats* stats = nullptr);

// Restores a verified protected file: the scheme's restoration plus its repair data, if any.
torch::Tensor restore_checked(const baselines::Scheme& scheme, const container::Parsed& p, const crypto::Key& master,
                              const std::string& where);

}  // namespace hipp::repair
