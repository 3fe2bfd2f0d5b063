// The training loop every trainer shares: the iteration and time limits, Ctrl-C, the NaN
// policy, gradient clipping, checkpoints, resume and the JSON log, on a tiny quadratic.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <fstream>
#include <thread>

#include "common/error.h"
#include "test_util.h"
#include "train/loop.h"
#include "train/training_data.h"

using namespace hipp;
using nlohmann::json;

namespace {

// Minimises |p - 1|^2 from p = 5, unless `loss` is given; counts calls and checkpoints.
struct Quadratic {
  torch::Tensor p = torch::full({4}, 5.0).requires_grad_(true);
  train::Adam adam{{p}, 0.9, 0.999, 1e-8};
  int calls = 0;
  std::vector<train::RunState> saves;
  std::function<torch::Tensor(int call)> loss = [this](int) { return (p - 1.0).pow(2).sum(); };

  train::LoopResult run(const std::string& out, int64_t iters, train::RunState start = {}, double clip = 50.0,
                        double time_limit_minutes = 0, double checkpoint_minutes = 60) {
    std::filesystem::create_directories(out);  // as the trainers do before the loop
    train::RunControl run;
    run.out = out, run.clip = clip, run.checkpoint_minutes = checkpoint_minutes;
    run.time_limit_minutes = time_limit_minutes, run.log_every = 1, run.resume = start.step > 0;
    train::LoopOptions o{"test", iters, 2, train::LrSchedule{0.05, 0.05, 0, 0, 0, iters}, run};
    train::LoopHooks h;
    h.loss = [this] { return loss(++calls); };
    h.after_step = [](int64_t, double) { return std::string(); };
    h.save = [this](const train::RunState& s) { saves.push_back(s); };
    return train::run_training(adam, o, start, h);
  }
};

std::vector<json> log_lines(const std::string& out) {
  std::ifstream f(out + "/" + train::kTrainLogName);
  std::vector<json> lines;
  for (std::string line; std::getline(f, line);) lines.push_back(json::parse(line));
  return lines;
}

}  // namespace

TEST(TrainLoop, StopsAtTheIterationLimitLogsEachStepAndCheckpointsAtTheEnd) {
  test::TempDir dir;
  Quadratic q;
  auto r = q.run(dir.path.string(), 30);
  EXPECT_EQ(r.state.step, 30);
  EXPECT_EQ(r.state.images_seen, 60);
  EXPECT_EQ(q.calls, 30);
  ASSERT_EQ(q.saves.size(), 1u);
  EXPECT_EQ(q.saves[0].step, 30);
  EXPECT_LT((q.p - 1.0).abs().max().item<double>(), 4.0 - 1.0);  // 30 steps of 0.05 from 4 away
  auto lines = log_lines(dir.path.string());
  ASSERT_EQ(lines.size(), 30u);
  for (auto key : {"step", "loss", "lr", "grad_norm", "images_seen", "images_per_s", "seconds", "skipped"})
    EXPECT_TRUE(lines.back().contains(key)) << key;
  EXPECT_EQ(lines.back()["step"], 30);
  EXPECT_NEAR(lines.back()["lr"].get<double>(), 0.05, 1e-12);
  EXPECT_NEAR(r.loss, lines.back()["loss"].get<double>(), 1e-12);
}

TEST(TrainLoop, ResumeContinuesTheStepCountAndTime) {
  test::TempDir dir;
  Quadratic q;
  auto r = q.run(dir.path.string(), 8, train::RunState{5, 10, 3.0});
  EXPECT_EQ(q.calls, 3);
  EXPECT_EQ(r.state.step, 8);
  EXPECT_EQ(r.state.images_seen, 16);
  EXPECT_GE(r.state.seconds, 3.0);
  EXPECT_EQ(log_lines(dir.path.string()).front()["step"], 6);
  // A resumed run with nothing left to do leaves its checkpoint alone.
  Quadratic done;
  done.run(dir.path.string(), 8, train::RunState{8, 16, 4.0});
  EXPECT_EQ(done.calls, 0);
  EXPECT_TRUE(done.saves.empty());
}

TEST(TrainLoop, RunStateKeysAreSharedAndOldFlowCheckpointKeysStillRead) {
  auto j = train::RunState{7, 70, 1.5}.to_json();
  EXPECT_EQ(j, (json{{"iterations", 7}, {"images_seen", 70}, {"train_seconds", 1.5}}));
  auto s = train::RunState::from_json(j);
  EXPECT_EQ(s.step, 7);
  EXPECT_EQ(s.images_seen, 70);
  EXPECT_EQ(s.seconds, 1.5);
  auto old = train::RunState::from_json({{"step", 9}, {"images_seen", 90}, {"seconds", 2.5}});
  EXPECT_EQ(old.step, 9);
  EXPECT_EQ(old.seconds, 2.5);
}

TEST(TrainLoop, StopsAtTheTimeLimitAndOnCtrlC) {
  test::TempDir dir;
  Quadratic slow;
  slow.loss = [&](int) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return (slow.p - 1.0).pow(2).sum();
  };
  auto r = slow.run(dir / "slow", 1000, {}, 50.0, 0.1 / 60);  // 0.1 s
  EXPECT_GE(r.state.step, 1);
  EXPECT_LT(r.state.step, 20);
  ASSERT_EQ(slow.saves.size(), 1u);
  EXPECT_EQ(slow.saves[0].step, r.state.step);

  Quadratic interrupted;
  interrupted.loss = [&](int call) {
    if (call == 3) std::raise(SIGINT);  // the loop's handler only sets its stop flag
    return (interrupted.p - 1.0).pow(2).sum();
  };
  EXPECT_EQ(interrupted.run(dir / "int", 1000).state.step, 3);
  EXPECT_EQ(interrupted.saves.size(), 1u);
}

TEST(TrainLoop, CheckpointsAtTheInterval) {
  test::TempDir dir;
  Quadratic q;
  q.run(dir.path.string(), 3, {}, 50.0, 0, 0);  // due after every step, and once more at the end
  ASSERT_EQ(q.saves.size(), 4u);
  EXPECT_EQ(q.saves[0].step, 1);
  EXPECT_EQ(q.saves[3].step, 3);
}

TEST(TrainLoop, SkipsNonFiniteStepsAndStopsAfterTwentyInARow) {
  test::TempDir dir;
  Quadratic q;
  // A NaN loss, an infinite loss and a finite loss with a NaN gradient (sqrt at 0) are skipped.
  q.loss = [&](int call) {
    if (call == 2) return (q.p * std::nan("")).sum();
    if (call == 3) return (q.p * INFINITY).sum();
    if (call == 4) return (q.p * 0).sqrt().sum();
    return (q.p - 1.0).pow(2).sum();
  };
  auto r = q.run(dir / "a", 5);
  EXPECT_EQ(r.state.step, 5);
  EXPECT_EQ(q.calls, 8);
  EXPECT_TRUE(torch::isfinite(q.p).all().item<bool>());
  int64_t skipped = 0;
  for (auto& line : log_lines(dir / "a")) skipped += line["skipped"].get<int64_t>();
  EXPECT_EQ(skipped, 3);

  // Non-finite steps interrupted by a good one start the count again; 20 in a row stop the run.
  Quadratic diverging;
  diverging.loss = [&](int call) {
    return call == 15 ? (diverging.p - 1.0).pow(2).sum() : (diverging.p * std::nan("")).sum();
  };
  auto before = diverging.p.detach().clone();
  EXPECT_ERROR_HAS(diverging.run(dir / "b", 100), "20 non-finite steps in a row");
  EXPECT_EQ(diverging.calls, 14 + 1 + train::kMaxNonFiniteSteps);
  EXPECT_EQ(diverging.adam.steps(), 1);
  EXPECT_FALSE(torch::equal(diverging.p, before));
}

TEST(TrainLoop, ClipCapsTheGradientNorm) {
  test::TempDir dir;
  for (double clip : {1.0, 1000.0}) {
    Quadratic q;
    q.loss = [&](int) { return 100 * q.p.sum(); };  // gradient norm 200
    q.run(dir / std::to_string(clip), 2, {}, clip);
    EXPECT_NEAR(q.p.grad().norm().item<double>(), std::min(clip, 200.0), 1e-3 * clip);
    // The log records the norm before clipping.
    EXPECT_NEAR(log_lines(dir / std::to_string(clip)).back()["grad_norm"].get<double>(), 200.0, 1e-3);
  }
}

TEST(TrainLoop, OutFolderIsNeverOverwrittenAndResumeNeedsSomething) {
  test::TempDir dir;
  const auto weights = dir / "model.weights";
  EXPECT_NO_THROW(train::check_out_folder(dir.path.string(), weights, false, "a model"));
  EXPECT_ERROR_HAS(train::check_out_folder(dir.path.string(), weights, true, "a model"),
                   "holds neither checkpoint.weights nor model weights");
  std::ofstream(weights) << "x";
  EXPECT_ERROR_HAS(train::check_out_folder(dir.path.string(), weights, false, "a model"), "already holds a model");
  EXPECT_NO_THROW(train::check_out_folder(dir.path.string(), weights, true, "a model"));
}
