// fft_real.cpp: cuda/fft_real.cu run on the host (tests/cuda_kernels.rs builds it with the
// system C++ compiler, -I tests/host_cuda -I cuda). The split kernels against a plain DFT in
// double precision: for even n, the forward split of the half-length spectrum Z of a real row
// must give the n/2 + 1 bins of the row's DFT, and the inverse split of those bins (scaled
// 1/n) must give back Z/m, whose unscaled inverse DFT of length m is the row itself. Both
// dtypes, several rows, odd and even half lengths, and a thread count that does not divide
// the work (the grid-stride loops). Exit status 0 when every error is within bounds.
#include <complex>
#include <cstdio>
#include <vector>

#include "stub.h"
#include "fft_real.cu"

typedef std::complex<double> cd;

static std::vector<cd> dft(const std::vector<cd>& x, int sign) {
    const size_t n = x.size();
    std::vector<cd> y(n);
    for (size_t k = 0; k < n; k++) {
        cd s = 0;
        for (size_t j = 0; j < n; j++) s += x[j] * std::polar(1.0, sign * 2 * M_PI * double((j * k) % n) / n);
        y[k] = s;
    }
    return y;
}

template <typename C> static C to(cd z) { C c; c.x = z.real(); c.y = z.imag(); return c; }
template <typename C> static cd from(C c) { return cd(c.x, c.y); }

// Largest error relative to the largest magnitude, for one dtype.
template <typename C>
static double check(unsigned int n, u64 rows,
                    void (*fwd)(const C*, C*, const C*, u64, unsigned int, unsigned int),
                    void (*inv)(const C*, C*, const C*, u64, unsigned int, unsigned int)) {
    const unsigned int m = n / 2;
    std::vector<double> real(rows * n);
    for (size_t i = 0; i < real.size(); i++) real[i] = std::sin(0.7 * double(i * i) + 0.3) + 0.1 * double(i % 5);
    // The table of fft::plan::real_table: W^k = exp(-2 pi i k / n) for k < m, then the scales
    // [1, 1/n, 1/sqrt(n)].
    std::vector<C> table(m + 3);
    for (unsigned int k = 0; k < m; k++) table[k] = to<C>(std::polar(1.0, -2 * M_PI * k / n));
    table[m] = to<C>(1.0);
    table[m + 1] = to<C>(1.0 / n);
    table[m + 2] = to<C>(1.0 / std::sqrt(double(n)));
    std::vector<C> half(rows * m), bins(rows * (m + 1)), back(rows * m);
    for (u64 r = 0; r < rows; r++) {
        std::vector<cd> z(m);
        for (unsigned int j = 0; j < m; j++) z[j] = cd(real[r * n + 2 * j], real[r * n + 2 * j + 1]);
        const std::vector<cd> spectrum = dft(z, -1);
        for (unsigned int j = 0; j < m; j++) half[r * m + j] = to<C>(spectrum[j]);
    }
    double err = 0, scale = 0;
    launch(7, [&] { fwd(half.data(), bins.data(), table.data(), rows, m, 0); });
    for (u64 r = 0; r < rows; r++) {
        std::vector<cd> x(n);
        for (unsigned int j = 0; j < n; j++) x[j] = real[r * n + j];
        const std::vector<cd> want = dft(x, -1);
        for (unsigned int k = 0; k <= m; k++) {
            err = std::fmax(err, std::abs(want[k] - from(bins[r * (m + 1) + k])));
            scale = std::fmax(scale, std::abs(want[k]));
        }
    }
    launch(5, [&] { inv(bins.data(), back.data(), table.data(), rows, m, 1); });
    for (u64 r = 0; r < rows; r++) {
        std::vector<cd> spectrum(m);
        for (unsigned int j = 0; j < m; j++) spectrum[j] = from(back[r * m + j]);
        const std::vector<cd> z = dft(spectrum, +1);
        for (unsigned int j = 0; j < m; j++)
            err = std::fmax(err, std::abs(z[j] - cd(real[r * n + 2 * j], real[r * n + 2 * j + 1])));
    }
    return err / std::fmax(scale, 1.0);
}

int main() {
    int failures = 0;
    for (unsigned int n : {4u, 6u, 8u, 10u, 12u, 16u, 30u, 64u, 100u, 126u}) {
        const double e64 = check<double2>(n, 3, fft_real_forward_c64, fft_real_inverse_c64);
        const double e32 = check<float2>(n, 3, fft_real_forward_c32, fft_real_inverse_c32);
        const bool ok = e64 < 1e-13 && e32 < 1e-5;
        std::printf("n=%u: c64 error %.2e, c32 error %.2e%s\n", n, e64, e32, ok ? "" : "  FAIL");
        failures += !ok;
    }
    return failures == 0 ? 0 : 1;
}
