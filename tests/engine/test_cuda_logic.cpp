// The CUDA plugin's pure host logic, checked without CUDA: the row-major → column-major GEMM
// argument mapping used with cuBLAS (GemmMapping.h) and the padding plan for windows cuDNN
// cannot pad (PaddingPlan.h), against direct reference computations.
#include "engine/backend/cuda/GemmMapping.h"
#include "engine/backend/cuda/PaddingPlan.h"

#include <QtTest>

#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

using namespace netcanvas::cuda;

namespace {

// A column-major BLAS sgemm, as cuBLAS defines it: C = alpha·op(A)·op(B) + beta·C, op(A) m×k.
void colMajorSgemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
    const float* B, int64_t ldb, float beta, float* C, int64_t ldc)
{
    for (int64_t j = 0; j < n; ++j)
        for (int64_t i = 0; i < m; ++i) {
            double s = 0;
            for (int64_t p = 0; p < k; ++p) {
                const float a = ta ? A[p + i * lda] : A[i + p * lda];
                const float b = tb ? B[j + p * ldb] : B[p + j * ldb];
                s += static_cast<double>(a) * b;
            }
            C[i + j * ldc] = static_cast<float>(alpha * s + beta * C[i + j * ldc]);
        }
}

// Backend::gemm's row-major contract, directly.
void rowMajorReference(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
    const float* B, int64_t ldb, float beta, float* C, int64_t ldc)
{
    for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < N; ++j) {
            double s = 0;
            for (int64_t p = 0; p < K; ++p) {
                const float a = ta ? A[p * lda + i] : A[i * lda + p];
                const float b = tb ? B[j * ldb + p] : B[p * ldb + j];
                s += static_cast<double>(a) * b;
            }
            C[i * ldc + j] = static_cast<float>(alpha * s + beta * C[i * ldc + j]);
        }
}

// Direct 2-D cross-correlation of one plane with asymmetric zero padding.
std::vector<float> convDirect(const std::vector<float>& x, int64_t H, int64_t W, const std::vector<float>& w,
    int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t top, int64_t left, int64_t outH, int64_t outW)
{
    std::vector<float> y(static_cast<size_t>(outH * outW), 0.0f);
    for (int64_t oh = 0; oh < outH; ++oh)
        for (int64_t ow = 0; ow < outW; ++ow) {
            float s = 0;
            for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                    const int64_t h = oh * sh - top + i, c = ow * sw - left + j;
                    if (h >= 0 && h < H && c >= 0 && c < W)
                        s += x[static_cast<size_t>(h * W + c)] * w[static_cast<size_t>(i * kw + j)];
                }
            y[static_cast<size_t>(oh * outW + ow)] = s;
        }
    return y;
}

std::vector<float> padPlane(const std::vector<float>& x, int64_t H, int64_t W, int64_t top, int64_t left,
    int64_t bottom, int64_t right, float value)
{
    const int64_t PH = top + H + bottom, PW = left + W + right;
    std::vector<float> p(static_cast<size_t>(PH * PW), value);
    for (int64_t h = 0; h < H; ++h)
        for (int64_t c = 0; c < W; ++c)
            p[static_cast<size_t>((h + top) * PW + c + left)] = x[static_cast<size_t>(h * W + c)];
    return p;
}

} // namespace

class TestCudaLogic : public QObject {
    Q_OBJECT

private slots:
    void gemmMappingMatchesRowMajor_data()
    {
        QTest::addColumn<bool>("ta");
        QTest::addColumn<bool>("tb");
        QTest::newRow("NN") << false << false;
        QTest::newRow("TN") << true << false;
        QTest::newRow("NT") << false << true;
        QTest::newRow("TT") << true << true;
    }

    void gemmMappingMatchesRowMajor()
    {
        QFETCH(bool, ta);
        QFETCH(bool, tb);
        std::mt19937 rng(5);
        std::uniform_real_distribution<float> u(-1, 1);
        const int64_t M = 5, N = 7, K = 3;
        // Leading dimensions larger than the rows (views into wider matrices).
        const int64_t lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3;
        std::vector<float> A(static_cast<size_t>((ta ? K : M) * lda)), B(static_cast<size_t>((tb ? N : K) * ldb));
        std::vector<float> C(static_cast<size_t>(M * ldc));
        for (auto* v : { &A, &B, &C })
            for (float& x : *v)
                x = u(rng);
        std::vector<float> expected = C, got = C;
        rowMajorReference(ta, tb, M, N, K, 0.5f, A.data(), lda, B.data(), ldb, 0.25f, expected.data(), ldc);
        const ColMajorGemm g = rowMajorGemmAsColMajor(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, ldc);
        QVERIFY(colMajorGemmValid(g));
        colMajorSgemm(g.transFirst, g.transSecond, g.m, g.n, g.k, 0.5f, g.first, g.ldFirst, g.second, g.ldSecond, 0.25f,
            got.data(), g.ldResult);
        for (size_t i = 0; i < got.size(); ++i)
            QVERIFY2(std::abs(got[i] - expected[i]) < 1e-5f, qPrintable(QString("element %1").arg(i)));
    }

    void gemmMappingRejectsShortLeadingDimensions()
    {
        // Row-major A is 4×3 (lda must be ≥ 3): lda 2 is invalid.
        const ColMajorGemm g = rowMajorGemmAsColMajor(false, false, 4, 5, 3, nullptr, 2, nullptr, 5, 5);
        QVERIFY(!colMajorGemmValid(g));
        QVERIFY(colMajorGemmValid(rowMajorGemmAsColMajor(false, false, 4, 5, 3, nullptr, 3, nullptr, 5, 5)));
        QVERIFY(!colMajorGemmValid(rowMajorGemmAsColMajor(false, false, 4, 5, 3, nullptr, 3, nullptr, 5, 4)));
    }

    void symmetricPaddingStaysWithCudnn()
    {
        const PaddingPlan p = planPadding(28, 28, 3, 3, 1, 1, 1, 1, 1, 1);
        QVERIFY(!p.explicitPad);
        QCOMPARE(p.cudnnPadH, int64_t(1));
        QCOMPARE(p.paddedH, int64_t(28));
        QCOMPARE(p.outH, int64_t(28));
        QVERIFY(planMismatch(p, 28, 28).empty());
        QVERIFY(!planMismatch(p, 27, 28).empty());
    }

    // "same" with an even kernel, and with stride 2 on an even size: one more cell at the
    // bottom/right. The plan pads explicitly; convolving the padded copy with padding 0 must give
    // the direct asymmetric result.
    void asymmetricPaddingMatchesDirect_data()
    {
        QTest::addColumn<int>("k");
        QTest::addColumn<int>("s");
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("top");
        QTest::addColumn<int>("bottom");
        QTest::newRow("k2 s1 same") << 2 << 1 << 6 << 0 << 1;
        QTest::newRow("k4 s1 same") << 4 << 1 << 7 << 1 << 2;
        QTest::newRow("k3 s2 same even") << 3 << 2 << 8 << 0 << 1;
        QTest::newRow("k2 s2 same odd") << 2 << 2 << 7 << 0 << 1;
    }

    void asymmetricPaddingMatchesDirect()
    {
        QFETCH(int, k);
        QFETCH(int, s);
        QFETCH(int, size);
        QFETCH(int, top);
        QFETCH(int, bottom);
        const int64_t out = (size + s - 1) / s; // "same"
        const PaddingPlan p = planPadding(size, size, k, k, s, s, top, top, bottom, bottom);
        QVERIFY(p.explicitPad);
        QCOMPARE(p.cudnnPadH, int64_t(0));
        QCOMPARE(p.paddedH, int64_t(size + top + bottom));
        QVERIFY2(planMismatch(p, out, out).empty(), planMismatch(p, out, out).c_str());

        std::mt19937 rng(11);
        std::uniform_real_distribution<float> u(-1, 1);
        std::vector<float> x(static_cast<size_t>(size * size)), w(static_cast<size_t>(k * k));
        for (float& v : x)
            v = u(rng);
        for (float& v : w)
            v = u(rng);
        const auto direct = convDirect(x, size, size, w, k, k, s, s, top, top, out, out);
        const auto padded = padPlane(x, size, size, top, top, bottom, bottom, 0.0f);
        const auto viaPlan = convDirect(padded, p.paddedH, p.paddedW, w, k, k, s, s, 0, 0, p.outH, p.outW);
        QCOMPARE(viaPlan.size(), direct.size());
        for (size_t i = 0; i < direct.size(); ++i)
            QVERIFY(std::abs(viaPlan[i] - direct[i]) < 1e-6f);

        // Average pooling: include-padding average over the zero-padded copy, times
        // excludePaddingFactor, equals the average over the real cells only.
        const PoolGeometry g { size, size, k, k, s, s, top, top, out, out };
        std::vector<float> ones(static_cast<size_t>(k * k), 1.0f);
        const auto sums = convDirect(padded, p.paddedH, p.paddedW, ones, k, k, s, s, 0, 0, out, out);
        for (int64_t oh = 0; oh < out; ++oh)
            for (int64_t ow = 0; ow < out; ++ow) {
                const float includeAvg = sums[static_cast<size_t>(oh * out + ow)] / static_cast<float>(k * k);
                const int64_t valid = windowOverlap(oh * s - top, k, size) * windowOverlap(ow * s - top, k, size);
                QVERIFY(valid > 0);
                const float excludeAvg = sums[static_cast<size_t>(oh * out + ow)] / static_cast<float>(valid);
                QVERIFY(std::abs(includeAvg * excludePaddingFactor(g, oh, ow) - excludeAvg) < 1e-5f);
            }
        // Max pooling over the −∞-padded copy never picks a padded cell.
        const auto maxPadded = padPlane(x, size, size, top, top, bottom, bottom, -INFINITY);
        for (int64_t oh = 0; oh < out; ++oh)
            for (int64_t ow = 0; ow < out; ++ow) {
                float m = -INFINITY;
                for (int64_t i = 0; i < k; ++i)
                    for (int64_t j = 0; j < k; ++j)
                        m = std::max(m, maxPadded[static_cast<size_t>((oh * s + i) * p.paddedW + ow * s + j)]);
                QVERIFY(std::isfinite(m));
            }
    }
};

QTEST_GUILESS_MAIN(TestCudaLogic)
#include "test_cuda_logic.moc"
