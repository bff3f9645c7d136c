// Device choice and the CUDA plugin seen from the engine (backend/DeviceManager): listing,
// creating with fallback, the plugin search, malformed specs, and `netcanvas-cli devices` /
// `train --device`. On a machine without a usable GPU these check the fallback path and the
// reasons; on a GPU machine they check that the GPU is listed and created.
#include "engine/backend/CudaPluginAbi.h"
#include "engine/backend/DeviceManager.h"
#include "engine/core/Error.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cstdlib>
#include <dlfcn.h>
#include <optional>

using namespace netcanvas;

namespace {

// Sets (or unsets, with nullopt) NETCANVAS_CUDA_PLUGIN for one scope.
class PluginEnv {
public:
    explicit PluginEnv(const std::optional<QByteArray>& value)
    {
        if (const char* old = std::getenv("NETCANVAS_CUDA_PLUGIN"))
            m_old = QByteArray(old);
        if (value)
            qputenv("NETCANVAS_CUDA_PLUGIN", *value);
        else
            qunsetenv("NETCANVAS_CUDA_PLUGIN");
    }
    ~PluginEnv()
    {
        if (m_old)
            qputenv("NETCANVAS_CUDA_PLUGIN", *m_old);
        else
            qunsetenv("NETCANVAS_CUDA_PLUGIN");
    }

private:
    std::optional<QByteArray> m_old;
};

#ifdef NETCANVAS_TEST_CUDA_PLUGIN
const QByteArray kPlugin = NETCANVAS_TEST_CUDA_PLUGIN;
#endif

struct Run {
    int code = -1;
    QString out, err;
};

Run cli(const QStringList& args, const std::optional<QByteArray>& plugin)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    if (plugin)
        env.insert("NETCANVAS_CUDA_PLUGIN", QString::fromUtf8(*plugin));
    else
        env.remove("NETCANVAS_CUDA_PLUGIN");
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(NETCANVAS_CLI_PATH), args);
    Run r;
    if (!p.waitForFinished(120000)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class TestDevices : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

    // The plugin this build made, or a skip: the CUDA toolkit was not found at configure time.
    std::optional<QByteArray> builtPlugin()
    {
#ifdef NETCANVAS_TEST_CUDA_PLUGIN
        return kPlugin;
#else
        return std::nullopt;
#endif
    }

private slots:
    void cpuIsAlwaysFirst()
    {
        const DeviceList list = listDevices(3);
        QVERIFY(!list.devices.empty());
        QCOMPARE(list.devices.front().spec, std::string("cpu"));
        QVERIFY(list.devices.front().usable);
        QCOMPARE(list.devices.front().label(), std::string("CPU (3 threads)"));
        QVERIFY2(list.cudaStatus.rfind("cuda: ", 0) == 0, list.cudaStatus.c_str());
    }

    void pluginLoadsAndProbes()
    {
        const auto plugin = builtPlugin();
        if (!plugin)
            QSKIP("the CUDA plugin is not part of this build (no CUDA toolkit or cuDNN at configure time)");
        PluginEnv env(plugin);
        const DeviceList list = listDevices(2);
        // Loaded: the version and interface checks passed, and the probe ran.
        QCOMPARE(QByteArray::fromStdString(list.pluginPath), *plugin);
        if (list.cudaUsable) {
            QVERIFY(list.devices.size() >= 2);
            QCOMPARE(list.devices[1].spec, std::string("cuda:0"));
            QVERIFY(!list.devices[1].name.empty());
            QVERIFY(list.devices[1].totalBytes > 0);
        } else {
            // This machine has no usable GPU: the probe says why, in one line.
            QVERIFY2(!list.cudaReason.empty(), list.cudaStatus.c_str());
            QCOMPARE(list.cudaStatus, "cuda: unavailable (" + list.cudaReason + ")");
            QVERIFY(list.cudaStatus.find('\n') == std::string::npos);
            qInfo("probe: %s", list.cudaStatus.c_str());
        }
    }

    // NCCL (docs/distributed.md): the plugin's optional entry points load libnccl.so.2 only when
    // asked; the probe names the version or says why not; with no GPU, creating a communicator
    // fails with a reason instead of crashing.
    void ncclIsProbedAtRunTime()
    {
        const auto plugin = builtPlugin();
        if (!plugin)
            QSKIP("the CUDA plugin is not part of this build (no CUDA toolkit or cuDNN at configure time)");
        PluginEnv env(plugin);
        void* handle = dlopen(plugin->constData(), RTLD_NOW | RTLD_LOCAL);
        QVERIFY2(handle, dlerror());
        auto probe = reinterpret_cast<NcNcclProbeFn>(dlsym(handle, "netcanvas_cuda_nccl_probe"));
        auto uniqueId = reinterpret_cast<NcNcclUniqueIdFn>(dlsym(handle, "netcanvas_cuda_nccl_unique_id"));
        auto init = reinterpret_cast<NcNcclInitFn>(dlsym(handle, "netcanvas_cuda_nccl_init"));
        auto allReduce = reinterpret_cast<NcNcclAllReduceFn>(dlsym(handle, "netcanvas_cuda_nccl_allreduce_sum"));
        auto destroy = reinterpret_cast<NcNcclDestroyFn>(dlsym(handle, "netcanvas_cuda_nccl_destroy"));
        QVERIFY(probe && uniqueId && init && allReduce && destroy);
        char status[256] = {};
        const int ok = probe(status, sizeof status);
        qInfo("NCCL probe: %d, %s", ok, status);
        QVERIFY(QByteArray(status).startsWith(ok ? "NCCL 2." : "NCCL unavailable"));
        char error[256] = {};
        QCOMPARE(allReduce(nullptr, nullptr, 4, error, sizeof error), 0); // no communicator: refused
        QVERIFY(error[0] != 0);
        if (ok && !listDevices(1).cudaUsable) {
            unsigned char id[NETCANVAS_NCCL_UNIQUE_ID_BYTES] = {};
            error[0] = 0;
            void* comm = init(id, 1, 0, 0, error, sizeof error); // no usable GPU here
            QVERIFY(!comm);
            QVERIFY2(error[0] != 0, "the reason is given");
            qInfo("NCCL without a GPU: %s", error);
        }
        dlclose(handle);
    }

    void pluginFoundNextToTheExecutableOrReported()
    {
        // Without the variable: the executable's directory, ../lib, the install lib dir. The
        // test executable sits elsewhere than the plugin, so this is either "not found" or an
        // installed plugin; both must give a reason or devices, never throw.
        PluginEnv env(std::nullopt);
        const DeviceList list = listDevices(2);
        if (list.pluginPath.empty() && !list.cudaUsable)
            QVERIFY2(!list.cudaReason.empty(), list.cudaStatus.c_str());
    }

    void autoAndCudaFallBackToTheCpu()
    {
        PluginEnv env(builtPlugin());
        const DeviceList list = listDevices(2);
        for (const char* spec : { "auto", "cuda", "cuda:0" }) {
            CreatedBackend b = createBackend(spec, 2);
            QVERIFY(b.backend);
            if (list.cudaUsable) {
                QCOMPARE(b.backend->device(), Device::Cuda);
                QVERIFY2(b.note.empty(), b.note.c_str());
                continue;
            }
            QCOMPARE(b.backend->device(), Device::Cpu);
            QCOMPARE(b.backend->threads(), 2);
            QVERIFY2(b.note.find("unavailable (") != std::string::npos, b.note.c_str());
            QVERIFY2(b.note.find("training on the CPU (2 threads)") != std::string::npos, b.note.c_str());
            QVERIFY(b.note.find('\n') == std::string::npos);
        }
    }

    void missingDeviceFallsBack()
    {
        PluginEnv env(builtPlugin());
        CreatedBackend b = createBackend("cuda:15", 1);
        QVERIFY(b.backend);
        if (b.backend->device() == Device::Cuda)
            QSKIP("this machine has 16 GPUs");
        QVERIFY2(!b.note.empty(), "a fallback without a note");
    }

    void cpuNeedsNoNote()
    {
        CreatedBackend b = createBackend("cpu", 3);
        QVERIFY(b.backend);
        QCOMPARE(b.backend->device(), Device::Cpu);
        QCOMPARE(b.backend->threads(), 3);
        QVERIFY(b.note.empty());
    }

    void precisionTheBackendCannotRunIsNoted()
    {
        // The CPU computes in FP32 whatever is asked for, and says so in one line.
        CreatedBackend cpu = createBackend("cpu", 2, BackendOptions { Precision::Fp16 });
        QCOMPARE(cpu.backend->device(), Device::Cpu);
        QCOMPARE(cpu.backend->mathPrecision(), Precision::Fp32);
        QCOMPARE(cpu.note, std::string("FP16 mixed precision applies to GPUs only: the CPU computes in FP32"));
        QCOMPARE(createBackend("cpu", 2, BackendOptions { Precision::Tf32 }).note,
            std::string("TF32 applies to GPUs only: the CPU computes in FP32"));
        QVERIFY(createBackend("cpu", 2, BackendOptions { Precision::Fp32 }).note.empty());
        QVERIFY(precisionNote(Precision::Fp32, *cpu.backend).empty());

        // A GPU that can be used runs FP16 (every usable one has compute capability >= 7.5) and
        // names it in its description; a fallback adds the precision to the same line.
        PluginEnv env(builtPlugin());
        const DeviceList list = listDevices(2);
        CreatedBackend b = createBackend("auto", 2, BackendOptions { Precision::Fp16 });
        if (list.cudaUsable) {
            QCOMPARE(b.backend->device(), Device::Cuda);
            QCOMPARE(b.backend->mathPrecision(), Precision::Fp16);
            QVERIFY2(
                b.backend->description().find(", FP16 mixed") != std::string::npos, b.backend->description().c_str());
            QVERIFY2(b.note.empty(), b.note.c_str());
            return;
        }
        QCOMPARE(b.backend->device(), Device::Cpu);
        QVERIFY2(b.note.find("training on the CPU (2 threads); FP16 mixed precision applies to GPUs only: the CPU "
                             "computes in FP32")
                != std::string::npos,
            b.note.c_str());
        QVERIFY(b.note.find('\n') == std::string::npos);
    }

    void bogusPluginPathIsNamed()
    {
        QVERIFY(m_dir.isValid());
        const QByteArray missing = m_dir.filePath("nowhere/libnetcanvas_cuda.so").toUtf8();
        {
            PluginEnv env(missing);
            const DeviceList list = listDevices(1);
            QVERIFY(!list.cudaUsable);
            QVERIFY2(list.cudaStatus.find(missing.toStdString()) != std::string::npos, list.cudaStatus.c_str());
            CreatedBackend b = createBackend("cuda", 1);
            QCOMPARE(b.backend->device(), Device::Cpu);
            QVERIFY2(b.note.find(missing.toStdString()) != std::string::npos, b.note.c_str());
        }
        const QByteArray notALibrary = m_dir.filePath("libfake.so").toUtf8();
        QFile f(QString::fromUtf8(notALibrary));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not an ELF file");
        f.close();
        PluginEnv env(notALibrary);
        const DeviceList list = listDevices(1);
        QVERIFY(!list.cudaUsable);
        QVERIFY2(list.cudaStatus.find("cannot load " + notALibrary.toStdString()) != std::string::npos,
            list.cudaStatus.c_str());
    }

    void outOfMemoryGetsAdvice()
    {
        const std::string oom = "cuda:0: out of memory allocating 512 MB (301 MB free of 8192 MB on GPU)";
        const std::string advised = withOutOfMemoryAdvice(oom, 256, "--device cpu");
        QCOMPARE(advised, oom + "; training with batch size 256: try a smaller batch (128) or --device cpu");
        QCOMPARE(withOutOfMemoryAdvice(oom, 1, "the CPU"), oom + "; training with batch size 1: try the CPU");
        QCOMPARE(withOutOfMemoryAdvice("cudnnConvolutionForward(...) failed", 256, "x"),
            std::string("cudnnConvolutionForward(...) failed"));
    }

    void malformedSpecsAreRejected()
    {
        for (const char* bad : { "", "gpu", "CUDA", "cuda:", "cuda:-1", "cuda:1x", "cuda:0:1", "cpu0", " auto" }) {
            bool threw = false;
            try {
                createBackend(bad, 1);
            } catch (const FormatError& e) {
                threw = true;
                QVERIFY2(std::string(e.what()).find(std::string("'") + bad + "'") != std::string::npos, e.what());
            }
            QVERIFY2(threw, bad);
        }
        QCOMPARE(parseDeviceSpec("cuda:12").index, 12);
        QVERIFY(parseDeviceSpec("cuda").kind == DeviceSpec::Kind::Cuda);
        QVERIFY(parseDeviceSpec("auto").kind == DeviceSpec::Kind::Auto);
    }

    void cliListsDevices()
    {
        const Run r = cli({ "devices", "--threads", "2" }, builtPlugin());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("CPU (2 threads)"), qPrintable(r.out));
        QVERIFY2(r.out.contains("cuda: "), qPrintable(r.out));
        const Run j = cli({ "devices", "--json" }, builtPlugin());
        QVERIFY2(j.code == 0, qPrintable(j.err));
        const QJsonObject o = QJsonDocument::fromJson(j.out.toUtf8()).object();
        const QJsonArray devices = o["devices"].toArray();
        QVERIFY2(!devices.isEmpty(), qPrintable(j.out));
        QCOMPARE(devices[0].toObject()["spec"].toString(), QString("cpu"));
        QVERIFY(o["cuda"].toObject().contains("status"));
        if (!o["cuda"].toObject()["usable"].toBool())
            QVERIFY2(!o["cuda"].toObject()["reason"].toString().isEmpty(), qPrintable(j.out));
    }

    void cliTrainsWithDeviceCuda()
    {
        QVERIFY(m_dir.isValid());
        const QString data = m_dir.filePath("bars");
        for (int c = 0; c < 2; ++c) {
            QDir().mkpath(QString("%1/c%2").arg(data).arg(c));
            for (int i = 0; i < 12; ++i) {
                cv::Mat img(8, 8, CV_8UC1, cv::Scalar(0));
                img.row(c == 0 ? i % 8 : 0).setTo(255);
                img.col(c == 1 ? i % 8 : 0).setTo(c == 1 ? 255 : 0);
                cv::imwrite(QString("%1/c%2/%3.png").arg(data).arg(c).arg(i).toStdString(), img);
            }
        }
        const QString model = m_dir.filePath("tiny.json");
        QFile f(model);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"format": "netcanvas-model", "version": 1, "name": "tiny",
  "nodes": [
    {"id": "input", "type": "Input", "params": {"channels": 1, "height": 8, "width": 8}},
    {"id": "flat", "type": "Flatten", "inputs": ["input"]},
    {"id": "fc", "type": "Dense", "inputs": ["flat"], "params": {"units": 2}}],
  "training": {"epochs": 1, "batch_size": 8, "optimizer": "sgd", "learning_rate": 0.01, "seed": 1}})");
        f.close();
        const QString out = m_dir.filePath("run");
        const Run t
            = cli({ "train", model, "--data", data, "--out", out, "--device", "cuda", "--threads", "1", "--json" },
                builtPlugin());
        QVERIFY2(t.code == 0, qPrintable(t.err));
        PluginEnv env(builtPlugin());
        const DeviceList list = listDevices(1);
        if (!list.cudaUsable)
            QVERIFY2(t.err.contains("note: cuda: unavailable (") && t.err.contains("training on the CPU (1 thread)"),
                qPrintable(t.err));
        // FP16 on the GPU (loss scaling on), or the CPU's FP32 with a note saying so.
        const Run fp16 = cli({ "train", model, "--data", data, "--out", out, "--device", "cuda", "--precision", "fp16",
                                 "--threads", "1", "--json" },
            builtPlugin());
        QVERIFY2(fp16.code == 0, qPrintable(fp16.err));
        const QStringList lines = fp16.out.split('\n', Qt::SkipEmptyParts);
        QVERIFY(!lines.isEmpty());
        const QJsonObject metrics = QJsonDocument::fromJson(lines.last().toUtf8()).object();
        if (list.cudaUsable) {
            QCOMPARE(metrics["precision"].toString(), QString("fp16"));
            QVERIFY2(metrics.contains("skipped_steps") && metrics.contains("loss_scale"), qPrintable(lines.last()));
        } else {
            QCOMPARE(metrics["precision"].toString(), QString("fp32"));
            QVERIFY(!metrics.contains("skipped_steps"));
            QVERIFY2(fp16.err.contains("; FP16 mixed precision applies to GPUs only: the CPU computes in FP32"),
                qPrintable(fp16.err));
        }
        const Run bad = cli({ "train", model, "--data", data, "--out", out, "--device", "gpu" }, builtPlugin());
        QVERIFY(bad.code != 0);
        QVERIFY2(bad.err.contains("device 'gpu'"), qPrintable(bad.err));
    }
};

QTEST_GUILESS_MAIN(TestDevices)
#include "test_devices.moc"
