// Every fuzz target (fuzz/fuzz_*.cpp) fed every input of its committed corpus,
// fuzz/regressions/<target>/: the seeds and each input that once crashed, hung or tripped a
// sanitizer. The same bodies the libFuzzer build runs, compiled here with the suite's compiler:
// a netcanvas::Error is the right answer to bad input; any other exception fails the case,
// and a crash fails the test. Runs in well under a second.
#include "fuzz/FuzzTarget.h"

#include "engine/io/AtomicFile.h"

#include <QtTest>

#include <filesystem>

namespace fs = std::filesystem;

class TestFuzzRegressions : public QObject {
    Q_OBJECT

    const fs::path m_corpus = fs::path(NETCANVAS_FUZZ_DIR) / "regressions";

private slots:
    void everyTargetHasACorpus()
    {
        const auto& targets = netcanvas::fuzz::targets();
        QVERIFY(targets.size() >= 8);
        for (const auto& [name, body] : targets) {
            const fs::path dir = m_corpus / name;
            QVERIFY2(fs::is_directory(dir) && !fs::is_empty(dir), ("no inputs in fuzz/regressions/" + name).c_str());
        }
        for (const auto& e : fs::directory_iterator(m_corpus))
            QVERIFY2(targets.count(e.path().filename().string()),
                ("fuzz/regressions/" + e.path().filename().string() + " has no fuzz target").c_str());
    }

    void everyInputEndsCleanly_data()
    {
        QTest::addColumn<QString>("target");
        QTest::addColumn<QString>("input");
        for (const auto& [name, body] : netcanvas::fuzz::targets()) {
            std::vector<fs::path> inputs;
            for (const auto& e : fs::directory_iterator(m_corpus / name))
                inputs.push_back(e.path());
            std::sort(inputs.begin(), inputs.end());
            for (const auto& p : inputs)
                QTest::newRow((name + "/" + p.filename().string()).c_str())
                    << QString::fromStdString(name) << QString::fromStdString(p.string());
        }
    }

    void everyInputEndsCleanly()
    {
        QFETCH(QString, target);
        QFETCH(QString, input);
        const std::string bytes = netcanvas::readFile(input.toStdString());
        try {
            netcanvas::fuzz::targets().at(target.toStdString())(bytes);
        } catch (const netcanvas::Error&) {
            // the reader refused the input with a message: right
        } catch (const std::exception& e) {
            QFAIL(qPrintable(QString("%1: %2 escaped: %3").arg(input, typeid(e).name(), e.what())));
        }
    }
};

QTEST_GUILESS_MAIN(TestFuzzRegressions)
#include "test_fuzz_regressions.moc"
