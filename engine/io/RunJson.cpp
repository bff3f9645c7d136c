#include "engine/io/RunJson.h"

#include "engine/core/Error.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace netcanvas {

namespace {

using nlohmann::json;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Rounds to 6 significant digits so the JSON writer's shortest round-trip form is short.
// Non-finite values become null (JSON has no NaN).
json number(double v)
{
    if (!std::isfinite(v))
        return nullptr;
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return std::strtod(buf, nullptr);
}

[[noreturn]] void fail(const std::string& where, const std::string& what)
{
    throw FormatError(where + ": " + what);
}

double readNumber(const json& j, const std::string& where)
{
    if (j.is_null())
        return kNaN;
    if (!j.is_number())
        fail(where, "expected a number or null");
    return j.get<double>();
}

double field(const json& obj, const char* key, const std::string& where, double def = kNaN)
{
    auto it = obj.find(key);
    return it == obj.end() ? def : readNumber(*it, where + "." + key);
}

int64_t intField(const json& obj, const char* key, const std::string& where, int64_t def = 0)
{
    auto it = obj.find(key);
    if (it == obj.end())
        return def;
    if (!it->is_number_integer())
        fail(where + "." + key, "expected an integer");
    return it->get<int64_t>();
}

bool boolField(const json& obj, const char* key, const std::string& where)
{
    auto it = obj.find(key);
    if (it == obj.end())
        return false;
    if (!it->is_boolean())
        fail(where + "." + key, "expected true or false");
    return it->get<bool>();
}

std::string stringField(const json& obj, const char* key, const std::string& where)
{
    auto it = obj.find(key);
    if (it == obj.end())
        return {};
    if (!it->is_string())
        fail(where + "." + key, "expected a string");
    return it->get<std::string>();
}

const json& arrayField(const json& obj, const char* key, const std::string& where)
{
    static const json empty = json::array();
    auto it = obj.find(key);
    if (it == obj.end())
        return empty;
    if (!it->is_array())
        fail(where + "." + key, "expected an array");
    return *it;
}

json confusionToJson(const ConfusionMatrix& m)
{
    json rows = json::array();
    for (int t = 0; t < m.classes(); ++t) {
        json row = json::array();
        for (int p = 0; p < m.classes(); ++p)
            row.push_back(m.at(t, p));
        rows.push_back(std::move(row));
    }
    return rows;
}

ConfusionMatrix confusionFromJson(const json& rows, const std::string& where)
{
    if (!rows.is_array())
        fail(where, "expected an array of rows");
    const int k = static_cast<int>(rows.size());
    ConfusionMatrix m(k);
    for (int t = 0; t < k; ++t) {
        const json& row = rows[static_cast<size_t>(t)];
        if (!row.is_array() || static_cast<int>(row.size()) != k)
            fail(where + "[" + std::to_string(t) + "]", "expected " + std::to_string(k) + " counts");
        for (int p = 0; p < k; ++p) {
            const json& c = row[static_cast<size_t>(p)];
            if (!c.is_number_integer() || c.get<int64_t>() < 0)
                fail(where + "[" + std::to_string(t) + "][" + std::to_string(p) + "]", "expected a count >= 0");
            if (c.get<int64_t>() > 0)
                m.add(t, p, c.get<int64_t>());
        }
    }
    return m;
}

} // namespace

json runToJson(const RunRecord& run)
{
    json j;
    j["id"] = run.id;
    j["model"] = run.modelName;
    j["dataset"] = run.datasetName;
    if (!run.label.empty())
        j["label"] = run.label;
    j["config"] = trainConfigToJson(run.config);

    // Batches as columns; epoch/batch indices follow from batchesPerEpoch.
    json b;
    const int64_t perEpoch = run.batches.empty() ? 0 : run.batches.front().batchesPerEpoch;
    b["batches_per_epoch"] = perEpoch;
    b["total_steps"] = run.batches.empty() ? 0 : run.batches.back().totalSteps;
    json step = json::array(), loss = json::array(), acc = json::array(), lr = json::array();
    for (const BatchEvent& e : run.batches) {
        step.push_back(e.globalStep);
        loss.push_back(number(e.loss));
        acc.push_back(number(e.accuracy));
        lr.push_back(number(e.learningRate));
    }
    b["step"] = std::move(step);
    b["loss"] = std::move(loss);
    b["accuracy"] = std::move(acc);
    b["learning_rate"] = std::move(lr);
    j["batches"] = std::move(b);

    json epochs = json::array();
    for (const EpochEvent& e : run.epochs)
        epochs.push_back({ { "epoch", e.epoch }, { "train_loss", number(e.trainLoss) },
            { "train_accuracy", number(e.trainAccuracy) }, { "validation_loss", number(e.validationLoss) },
            { "validation_accuracy", number(e.validationAccuracy) }, { "learning_rate", number(e.learningRate) },
            { "seconds", number(e.seconds) }, { "samples_per_second", number(e.samplesPerSecond) },
            { "improved", e.improved } });
    j["epochs"] = std::move(epochs);

    const RunSummary& s = run.summary;
    json sum;
    sum["epochs_completed"] = s.epochsCompleted;
    // A run saved while training is recorded as stopped: the process that ran it is gone.
    sum["stopped"] = s.stopped || run.running;
    sum["early_stopped"] = s.earlyStopped;
    sum["diverged"] = s.diverged;
    sum["failed"] = run.failed;
    sum["message"]
        = run.running && s.message.empty() ? std::string("interrupted: saved while still training") : s.message;
    sum["seconds"] = number(s.seconds);
    sum["samples_per_second"] = number(s.samplesPerSecond);
    sum["best_epoch"] = s.bestEpoch;
    sum["best_validation_loss"] = number(s.bestValidationLoss);
    sum["test_loss"] = number(s.testLoss);
    sum["test_accuracy"] = number(s.testAccuracy);
    sum["test_samples"] = s.testSamples;
    if (s.testConfusion.classes() > 0)
        sum["test_confusion"] = confusionToJson(s.testConfusion);
    j["summary"] = std::move(sum);
    return j;
}

RunRecord runFromJson(const json& j, const std::string& where)
{
    if (!j.is_object())
        fail(where, "expected an object");
    RunRecord r;
    r.id = static_cast<int>(intField(j, "id", where));
    if (r.id < 1)
        fail(where + ".id", "must be 1 or more");
    r.modelName = stringField(j, "model", where);
    r.datasetName = stringField(j, "dataset", where);
    r.label = stringField(j, "label", where);
    if (auto it = j.find("config"); it != j.end())
        try {
            r.config = trainConfigFromJson(*it, TrainConfig {});
        } catch (const FormatError& e) {
            fail(where + ".config", e.what());
        }
    r.running = false;

    if (auto it = j.find("batches"); it != j.end()) {
        const std::string w = where + ".batches";
        if (!it->is_object())
            fail(w, "expected an object");
        const int64_t perEpoch = intField(*it, "batches_per_epoch", w);
        const int64_t total = intField(*it, "total_steps", w);
        const json& step = arrayField(*it, "step", w);
        const json& loss = arrayField(*it, "loss", w);
        const json& acc = arrayField(*it, "accuracy", w);
        const json& lr = arrayField(*it, "learning_rate", w);
        if (loss.size() != step.size() || acc.size() != step.size() || lr.size() != step.size())
            fail(w, "step, loss, accuracy and learning_rate must have the same length");
        r.batches.reserve(step.size());
        for (size_t i = 0; i < step.size(); ++i) {
            BatchEvent e;
            if (!step[i].is_number_integer())
                fail(w + ".step[" + std::to_string(i) + "]", "expected an integer");
            e.globalStep = step[i].get<int64_t>();
            e.batchesPerEpoch = perEpoch;
            e.totalSteps = total;
            e.epoch = perEpoch > 0 ? static_cast<int>(e.globalStep / perEpoch) : 0;
            e.batch = perEpoch > 0 ? e.globalStep % perEpoch : e.globalStep;
            e.loss = readNumber(loss[i], w + ".loss[" + std::to_string(i) + "]");
            e.accuracy = readNumber(acc[i], w + ".accuracy[" + std::to_string(i) + "]");
            e.learningRate = readNumber(lr[i], w + ".learning_rate[" + std::to_string(i) + "]");
            r.batches.push_back(e);
        }
    }

    const json& epochs = arrayField(j, "epochs", where);
    for (size_t i = 0; i < epochs.size(); ++i) {
        const std::string w = where + ".epochs[" + std::to_string(i) + "]";
        const json& o = epochs[i];
        if (!o.is_object())
            fail(w, "expected an object");
        EpochEvent e;
        e.epoch = static_cast<int>(intField(o, "epoch", w, static_cast<int64_t>(i)));
        e.trainLoss = field(o, "train_loss", w);
        e.trainAccuracy = field(o, "train_accuracy", w);
        e.validationLoss = field(o, "validation_loss", w);
        e.validationAccuracy = field(o, "validation_accuracy", w);
        e.learningRate = field(o, "learning_rate", w);
        e.seconds = field(o, "seconds", w, 0.0);
        e.samplesPerSecond = field(o, "samples_per_second", w, 0.0);
        e.improved = boolField(o, "improved", w);
        r.epochs.push_back(e);
    }

    if (auto it = j.find("summary"); it != j.end()) {
        const std::string w = where + ".summary";
        if (!it->is_object())
            fail(w, "expected an object");
        const json& o = *it;
        RunSummary& s = r.summary;
        s.epochsCompleted = static_cast<int>(intField(o, "epochs_completed", w));
        s.stopped = boolField(o, "stopped", w);
        s.earlyStopped = boolField(o, "early_stopped", w);
        s.diverged = boolField(o, "diverged", w);
        r.failed = boolField(o, "failed", w);
        s.message = stringField(o, "message", w);
        s.seconds = field(o, "seconds", w, 0.0);
        s.samplesPerSecond = field(o, "samples_per_second", w, 0.0);
        s.bestEpoch = static_cast<int>(intField(o, "best_epoch", w, -1));
        s.bestValidationLoss = field(o, "best_validation_loss", w);
        s.testLoss = field(o, "test_loss", w);
        s.testAccuracy = field(o, "test_accuracy", w);
        s.testSamples = intField(o, "test_samples", w);
        if (auto c = o.find("test_confusion"); c != o.end())
            s.testConfusion = confusionFromJson(*c, w + ".test_confusion");
    }
    return r;
}

} // namespace netcanvas
