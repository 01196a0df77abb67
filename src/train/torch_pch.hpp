// Precompiled header of mpgru_train: the LibTorch C++ frontend, included nowhere outside src/train.
#pragma once

#include <torch/torch.h>
