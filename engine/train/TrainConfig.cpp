#include "engine/train/TrainConfig.h"

#include "engine/core/Error.h"

#include <cmath>
#include <limits>

namespace netcanvas {

namespace {

// Reads one key of a recipe object with a type check and a range check; every failure is
// a FormatError "training.<path>: reason".
class Reader {
public:
    Reader(const nlohmann::json& obj, std::string path)
        : m_obj(obj)
        , m_path(std::move(path))
    {
    }

    std::string where(const std::string& key) const { return m_path + "." + key; }
    [[noreturn]] void fail(const std::string& key, const std::string& why) const
    {
        throw FormatError(where(key) + ": " + why);
    }

    void checkKeys(std::initializer_list<const char*> known) const
    {
        for (auto it = m_obj.begin(); it != m_obj.end(); ++it) {
            bool ok = false;
            for (const char* k : known)
                ok = ok || it.key() == k;
            if (!ok) {
                std::string list;
                for (const char* k : known)
                    list += (list.empty() ? "" : ", ") + std::string(k);
                fail(it.key(), "unknown key (known: " + list + ")");
            }
        }
    }

    bool has(const char* key) const { return m_obj.contains(key); }
    const nlohmann::json& at(const char* key) const { return m_obj.at(key); }

    void integer(const char* key, int64_t& out, int64_t lo, int64_t hi) const
    {
        if (!has(key))
            return;
        const auto& v = at(key);
        if (!v.is_number())
            fail(key, "must be an integer, not " + v.dump());
        const double d = v.get<double>();
        if (d != std::floor(d) || !std::isfinite(d))
            fail(key, "must be an integer, not " + v.dump());
        if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
            fail(key, "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], not " + v.dump());
        out = v.is_number_unsigned() ? static_cast<int64_t>(v.get<uint64_t>())
            : v.is_number_integer()  ? v.get<int64_t>()
                                     : static_cast<int64_t>(d);
    }
    void integer(const char* key, int& out, int lo, int hi) const
    {
        int64_t v = out;
        integer(key, v, lo, hi);
        out = static_cast<int>(v);
    }
    void number(const char* key, double& out, double lo, double hi, bool loOpen = false, bool hiOpen = false) const
    {
        if (!has(key))
            return;
        const auto& v = at(key);
        if (!v.is_number())
            fail(key, "must be a number, not " + v.dump());
        const double d = v.get<double>();
        if (!std::isfinite(d))
            fail(key, "must be a finite number, not " + std::to_string(d));
        const bool below = loOpen ? d <= lo : d < lo;
        const bool above = hiOpen ? d >= hi : d > hi;
        if (!std::isfinite(d) || below || above) {
            nlohmann::json l = lo, h = hi;
            fail(key,
                std::string("must be in ") + (loOpen ? "(" : "[") + l.dump() + ", " + h.dump() + (hiOpen ? ")" : "]")
                    + ", not " + v.dump());
        }
        out = d;
    }
    void boolean(const char* key, bool& out) const
    {
        if (!has(key))
            return;
        const auto& v = at(key);
        if (!v.is_boolean())
            fail(key, "must be true or false, not " + v.dump());
        out = v.get<bool>();
    }
    void string(const char* key, std::string& out, std::initializer_list<const char*> choices) const
    {
        if (!has(key))
            return;
        const auto& v = at(key);
        std::string list;
        bool ok = false;
        for (const char* c : choices) {
            list += (list.empty() ? "" : ", ") + std::string(c);
            ok = ok || (v.is_string() && v.get<std::string>() == c);
        }
        if (!ok)
            fail(key, "must be one of " + list + ", not " + v.dump());
        out = v.get<std::string>();
    }
    const nlohmann::json& object(const char* key) const
    {
        const auto& v = at(key);
        if (!v.is_object())
            fail(key, "must be an object, not " + v.dump());
        return v;
    }

private:
    const nlohmann::json& m_obj;
    std::string m_path;
};

constexpr double kHuge = 1e300;

} // namespace

TrainConfig trainConfigFromJson(const nlohmann::json& recipe, TrainConfig base)
{
    if (recipe.is_null())
        return base;
    if (!recipe.is_object())
        throw FormatError("training: must be an object, not " + recipe.dump());
    TrainConfig c = std::move(base);
    Reader r(recipe, "training");
    r.checkKeys({ "epochs", "batch_size", "optimizer", "learning_rate", "momentum", "nesterov", "weight_decay", "beta1",
        "beta2", "epsilon", "rms_alpha", "l1", "l2", "schedule", "loss", "seed", "validation_fraction", "test_fraction",
        "normalize", "augment", "early_stopping_patience", "early_stopping_min_delta", "monitor", "result_weights",
        "clip_norm" });
    r.integer("epochs", c.epochs, 1, 1000000);
    r.integer("batch_size", c.batchSize, 1, 1 << 24);
    r.string("optimizer", c.optimizer.kind, { "sgd", "adam", "adamw", "rmsprop" });
    r.number("learning_rate", c.optimizer.learningRate, 0.0, kHuge, true);
    r.number("momentum", c.optimizer.momentum, 0.0, 1.0, false, true);
    r.boolean("nesterov", c.optimizer.nesterov);
    r.number("weight_decay", c.optimizer.weightDecay, 0.0, kHuge);
    r.number("beta1", c.optimizer.beta1, 0.0, 1.0, false, true);
    r.number("beta2", c.optimizer.beta2, 0.0, 1.0, false, true);
    r.number("epsilon", c.optimizer.epsilon, 0.0, kHuge, true);
    r.number("rms_alpha", c.optimizer.rmsAlpha, 0.0, 1.0, false, true);
    r.number("l1", c.optimizer.l1, 0.0, kHuge);
    r.number("l2", c.optimizer.l2, 0.0, kHuge);
    if (r.has("schedule")) {
        Reader s(r.object("schedule"), "training.schedule");
        s.checkKeys({ "kind", "step_epochs", "gamma", "min_learning_rate", "warmup_epochs" });
        s.string("kind", c.schedule.kind, { "constant", "step", "cosine" });
        s.integer("step_epochs", c.schedule.stepEpochs, 1, 1000000);
        s.number("gamma", c.schedule.gamma, 0.0, kHuge, true);
        s.number("min_learning_rate", c.schedule.minLearningRate, 0.0, kHuge);
        s.integer("warmup_epochs", c.schedule.warmupEpochs, 0, 1000000);
    }
    if (r.has("loss")) {
        std::string loss;
        r.string("loss", loss, { "cross_entropy", "mse", "mae", "huber" });
        c.loss = lossKindFromString(loss);
    }
    if (r.has("seed")) {
        const auto& v = r.at("seed");
        if (!v.is_number_integer() || (v.is_number_integer() && !v.is_number_unsigned() && v.get<int64_t>() < 0))
            r.fail("seed", "must be a non-negative integer, not " + v.dump());
        c.seed = v.get<uint64_t>();
    }
    r.number("validation_fraction", c.validationFraction, 0.0, 1.0, false, true);
    r.number("test_fraction", c.testFraction, 0.0, 1.0, false, true);
    r.boolean("normalize", c.normalize);
    if (r.has("augment")) {
        Reader a(r.object("augment"), "training.augment");
        a.checkKeys({ "flip", "shift", "rotate" });
        a.boolean("flip", c.augmentation.flipHorizontal);
        a.integer("shift", c.augmentation.maxShift, 0, 1000);
        double rot = c.augmentation.maxRotation;
        a.number("rotate", rot, 0.0, 180.0);
        c.augmentation.maxRotation = static_cast<float>(rot);
    }
    r.integer("early_stopping_patience", c.earlyStoppingPatience, 0, 1000000);
    r.number("early_stopping_min_delta", c.earlyStoppingMinDelta, 0.0, kHuge);
    r.string("monitor", c.monitor, { "val_loss", "val_accuracy", "train_loss", "train_accuracy" });
    r.string("result_weights", c.resultWeights, { "auto", "best", "last" });
    r.number("clip_norm", c.clipNorm, 0.0, kHuge);
    return c;
}

bool monitorIsLoss(const std::string& monitor)
{
    return monitor.size() >= 4 && monitor.compare(monitor.size() - 4, 4, "loss") == 0;
}

bool keepsBestWeights(const TrainConfig& config)
{
    return config.resultWeights == "best" || (config.resultWeights == "auto" && config.earlyStoppingPatience > 0);
}

void checkTrainConfig(const TrainConfig& config)
{
    // The recipe's reader holds every range: a config set from a command line or a dialog
    // passes the same checks as one read from a file (NaN, infinities, out-of-range values).
    trainConfigFromJson(trainConfigToJson(config), config);
}

nlohmann::json trainConfigToJson(const TrainConfig& c)
{
    nlohmann::json j;
    j["epochs"] = c.epochs;
    j["batch_size"] = c.batchSize;
    j["optimizer"] = c.optimizer.kind;
    j["learning_rate"] = c.optimizer.learningRate;
    j["momentum"] = c.optimizer.momentum;
    j["nesterov"] = c.optimizer.nesterov;
    j["weight_decay"] = c.optimizer.weightDecay;
    j["beta1"] = c.optimizer.beta1;
    j["beta2"] = c.optimizer.beta2;
    j["epsilon"] = c.optimizer.epsilon;
    j["rms_alpha"] = c.optimizer.rmsAlpha;
    j["l1"] = c.optimizer.l1;
    j["l2"] = c.optimizer.l2;
    j["schedule"]
        = { { "kind", c.schedule.kind }, { "step_epochs", c.schedule.stepEpochs }, { "gamma", c.schedule.gamma },
              { "min_learning_rate", c.schedule.minLearningRate }, { "warmup_epochs", c.schedule.warmupEpochs } };
    j["loss"] = toString(c.loss);
    j["seed"] = c.seed;
    j["validation_fraction"] = c.validationFraction;
    j["test_fraction"] = c.testFraction;
    j["normalize"] = c.normalize;
    j["augment"] = { { "flip", c.augmentation.flipHorizontal }, { "shift", c.augmentation.maxShift },
        { "rotate", static_cast<double>(c.augmentation.maxRotation) } };
    j["early_stopping_patience"] = c.earlyStoppingPatience;
    j["early_stopping_min_delta"] = c.earlyStoppingMinDelta;
    j["monitor"] = c.monitor;
    j["result_weights"] = c.resultWeights;
    j["clip_norm"] = c.clipNorm;
    return j;
}

} // namespace netcanvas
