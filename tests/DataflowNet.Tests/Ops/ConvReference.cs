namespace DataflowNet.Tests;

/// <summary>
/// Direct convolution and pooling in plain double loops, NHWC, written from TensorFlow's documented rules and not
/// from the library: SAME gives ceil(in / stride) outputs, VALID ceil((in - (k - 1)·dilation) / stride); SAME pads
/// pad_total = max((out - 1)·stride + (k - 1)·dilation + 1 - in, 0), floor(pad_total / 2) of it before.
/// </summary>
internal static class ConvReference
{
    public static (int Out, int Before) Size(int input, int k, int stride, int dilation, bool same)
    {
        int span = (k - 1) * dilation + 1;
        int output = same ? (int)Math.Ceiling(input / (double)stride) : (int)Math.Ceiling((input - span + 1) / (double)stride);
        int total = same ? Math.Max((output - 1) * stride + span - input, 0) : 0;
        return (output, total / 2);
    }

    /// <summary>y[b, i, j, q] = Σ x[b, i·sh - top + di·dh, j·sw - left + dj·dw, c] · f[di, dj, c, q] over taps inside the image.</summary>
    public static (double[] Y, int[] Shape) Conv(double[] x, int[] xs, double[] f, int[] fs, int sh, int sw, int dh, int dw, bool same)
    {
        var (n, h, w, c, o) = (xs[0], xs[1], xs[2], xs[3], fs[3]);
        var (oh, top) = Size(h, fs[0], sh, dh, same);
        var (ow, left) = Size(w, fs[1], sw, dw, same);
        var y = new double[n * oh * ow * o];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int q = 0; q < o; q++)
                    {
                        double sum = 0;
                        for (int di = 0; di < fs[0]; di++)
                            for (int dj = 0; dj < fs[1]; dj++)
                            {
                                int ih = i * sh - top + di * dh, iw = j * sw - left + dj * dw;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                for (int ch = 0; ch < c; ch++)
                                    sum += x[((b * h + ih) * w + iw) * c + ch] * f[((di * fs[1] + dj) * c + ch) * o + q];
                            }
                        y[((b * oh + i) * ow + j) * o + q] = sum;
                    }
        return (y, [n, oh, ow, o]);
    }

    /// <summary>The gradients of Σ y·dy with respect to x and f: the same loops, each product's partner accumulated.</summary>
    public static (double[] Dx, double[] Df) ConvGrads(double[] x, int[] xs, double[] f, int[] fs, double[] dy, int sh, int sw, int dh, int dw, bool same)
    {
        var (n, h, w, c, o) = (xs[0], xs[1], xs[2], xs[3], fs[3]);
        var (oh, top) = Size(h, fs[0], sh, dh, same);
        var (ow, left) = Size(w, fs[1], sw, dw, same);
        var dx = new double[x.Length];
        var df = new double[f.Length];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int q = 0; q < o; q++)
                    {
                        double g = dy[((b * oh + i) * ow + j) * o + q];
                        for (int di = 0; di < fs[0]; di++)
                            for (int dj = 0; dj < fs[1]; dj++)
                            {
                                int ih = i * sh - top + di * dh, iw = j * sw - left + dj * dw;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
                                for (int ch = 0; ch < c; ch++)
                                {
                                    int xi = ((b * h + ih) * w + iw) * c + ch, fi = ((di * fs[1] + dj) * c + ch) * o + q;
                                    dx[xi] += g * f[fi];
                                    df[fi] += g * x[xi];
                                }
                            }
                    }
        return (dx, df);
    }

    /// <summary>Max or mean over each window's elements inside the image (padding never counts).</summary>
    public static (double[] Y, int[] Shape) Pool(double[] x, int[] xs, int kh, int kw, int sh, int sw, bool same, bool max)
    {
        var (n, h, w, c) = (xs[0], xs[1], xs[2], xs[3]);
        var (oh, top) = Size(h, kh, sh, 1, same);
        var (ow, left) = Size(w, kw, sw, 1, same);
        var y = new double[n * oh * ow * c];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < oh; i++)
                for (int j = 0; j < ow; j++)
                    for (int ch = 0; ch < c; ch++)
                    {
                        var inside = new List<double>();
                        for (int di = 0; di < kh; di++)
                            for (int dj = 0; dj < kw; dj++)
                            {
                                int ih = i * sh - top + di, iw = j * sw - left + dj;
                                if (ih >= 0 && ih < h && iw >= 0 && iw < w) inside.Add(x[((b * h + ih) * w + iw) * c + ch]);
                            }
                        y[((b * oh + i) * ow + j) * c + ch] = max ? inside.Max() : inside.Average();
                    }
        return (y, [n, oh, ow, c]);
    }

    public static int[] Nchw(int[] nhwc) => [nhwc[0], nhwc[3], nhwc[1], nhwc[2]];

    /// <summary>NHWC values laid out as NCHW.</summary>
    public static double[] ToNchw(double[] v, int[] nhwc)
    {
        var (n, h, w, c) = (nhwc[0], nhwc[1], nhwc[2], nhwc[3]);
        var r = new double[v.Length];
        for (int b = 0; b < n; b++)
            for (int i = 0; i < h; i++)
                for (int j = 0; j < w; j++)
                    for (int ch = 0; ch < c; ch++) r[((b * c + ch) * h + i) * w + j] = v[((b * h + i) * w + j) * c + ch];
        return r;
    }

    public static double[] Random(int n, int seed, double lo = -1, double hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * r.NextDouble()).ToArray();
    }

    /// <summary>n distinct values at least 0.01 apart, shuffled: no ties in any window.</summary>
    public static double[] Distinct(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(i => i * 0.01 - n * 0.005).OrderBy(_ => r.Next()).ToArray();
    }

    public static int Count(int[] dims) => dims.Aggregate(1, (p, d) => p * d);
}
