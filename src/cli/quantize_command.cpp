// `mpgru quantize`: PTQ of a float checkpoint at one genome, written as a .mpq model.
#include <iostream>

#include "cli/command.hpp"
#include "cli/model_report.hpp"
#include "cli/ptq_setup.hpp"
#include "engine/convert.hpp"
#include "engine/model_file.hpp"

namespace mpgru::cli {
namespace {

struct QuantizeArgs {
  PtqArgs ptq;
  std::string genome;
  std::string out;
  bool json = false;
};

int run_quantize(const QuantizeArgs& args) {
  const PtqSetup s = prepare_ptq(args.ptq, [&](const quant::FloatGruModel& m) {
    (void)core::Genome::parse(quant::genome_layout(m), args.genome);
  });
  const core::GenomeLayout layout = quant::genome_layout(s.float_model);
  const core::Genome genome = core::Genome::parse(layout, args.genome);
  const engine::IntegerModel model = engine::convert(s.float_model, s.calibration, genome,
                                                     static_cast<int32_t>(s.dataset->steps()));
  engine::save_model(model, args.out);
  if (args.json) {
    nlohmann::json j = model_json(model);
    j["path"] = args.out;
    j["calibration"] = args.ptq.method;
    std::cout << j.dump(2) << '\n';
  } else {
    std::cout << "wrote " << args.out << ": " << model_summary(model) << '\n';
  }
  return kExitOk;
}

}  // namespace

Command add_quantize_command(CLI::App& parent) {
  auto args = std::make_shared<QuantizeArgs>();
  CLI::App* app = parent.add_subcommand(
      "quantize", "Post-training quantization of a float checkpoint at a genome -> .mpq model");
  add_config_option(app);
  add_ptq_options(app, args->ptq);
  app->add_option("--genome,-g", args->genome,
                  "Bit widths: 'x=8,w_i.r=4,...' (every gene) or one digit per gene in table "
                  "order, e.g. 25 digits for one layer")
      ->required();
  app->add_option("--out,-o", args->out, "Output model file (.mpq)")->required();
  app->add_flag("--json", args->json, "Print the model summary as JSON");
  return {app, [args] { return run_quantize(*args); }};
}

}  // namespace mpgru::cli
