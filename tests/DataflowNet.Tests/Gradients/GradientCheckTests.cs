using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Gradients;

/// <summary>
/// Every differentiable op against central finite differences in float64 (tf.test.compute_gradient_error), on odd
/// shapes and with broadcasting, feeding each input in turn as the placeholder. Ops that are linear (or quadratic)
/// in the fed input have an exact central difference, so their bound is far tighter.
/// </summary>
public class GradientCheckTests(string device) : DeviceTest(device)
{
    /// <summary>Step of the central differences: small enough that the O(delta²) error is ~1e-10, large enough that rounding is ~1e-11.</summary>
    private const double Delta = 1e-5;
    /// <summary>Bound for smooth ops.</summary>
    private const double Smooth = 1e-6;
    /// <summary>Bound for ops linear or quadratic in the fed input, where central differences are exact up to rounding.</summary>
    private const double Exact = 1e-9;

    // ---------------------------------------------------------------- helpers

    /// <summary>n values in [lo, hi), from a fixed seed.</summary>
    private static double[] Uniform(int n, int seed, double lo = -1, double hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * r.NextDouble()).ToArray();
    }

    /// <summary>n values with |v| in [lo, hi) and random signs: away from 0.</summary>
    private static double[] AwayFromZero(int n, int seed, double lo = 0.2, double hi = 1.2)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (r.Next(2) == 0 ? -1 : 1) * (lo + (hi - lo) * r.NextDouble())).ToArray();
    }

    /// <summary>n distinct values at least 0.07 apart, shuffled: no ties for max/min.</summary>
    private static double[] Distinct(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(i => i * 0.07 - 0.8).OrderBy(_ => r.Next()).ToArray();
    }

    private static int Count(int[] shape) => shape.Aggregate(1, (a, d) => a * d);

    private static Tensor Const(double[] values, int[] shape) => tf.constant(values, tf.float64, shape: new TensorShape(shape));

    /// <summary>
    /// Feeds x (float64, <paramref name="shape"/>) at <paramref name="init"/>, builds y = f(x), checks that tf.gradients
    /// gives a float64 gradient of x's shape, and that it matches central differences within <paramref name="tolerance"/>.
    /// </summary>
    private static void Check(string what, int[] shape, Func<Tensor, Tensor> f, double[] init, double tolerance)
    {
        tf.reset_default_graph();
        var x = tf.placeholder(tf.float64, new TensorShape(shape), name: "x");
        var y = f(x);
        Assert.That(y.shape.IsFullyDefined, Is.True, $"{what}: y has a static shape ({y.shape})");
        var g = tf.gradients(y, x)[0];
        Assert.That(g, Is.Not.Null, $"{what}: gradient exists");
        Assert.That(g!.dtype, Is.EqualTo(tf.float64), $"{what}: gradient dtype");
        Assert.That(g.shape.IsCompatibleWith(new TensorShape(shape)), Is.True, $"{what}: gradient shape {g.shape} vs x {TensorShape.Format(shape)}");
        var err = tf.test.compute_gradient_error(x, new TensorShape(shape), y, y.shape, init, Delta);
        Assert.That(err, Is.LessThan(tolerance), what);
    }

    private static void Check(string what, int[] shape, Func<Tensor, Tensor> f, double tolerance, int seed = 1) =>
        Check(what, shape, f, Uniform(Count(shape), seed), tolerance);

    /// <summary>Checks the gradient of each input of a binary op in turn: x fed with y constant, then y fed with x constant.</summary>
    private static void CheckBinary(string what, Func<Tensor, Tensor, Tensor> f, int[] xShape, int[] yShape, double[] xs, double[] ys, double tolerance)
    {
        Check($"{what} d/dx {TensorShape.Format(xShape)} with {TensorShape.Format(yShape)}", xShape, x => f(x, Const(ys, yShape)), xs, tolerance);
        Check($"{what} d/dy {TensorShape.Format(yShape)} with {TensorShape.Format(xShape)}", yShape, y => f(Const(xs, xShape), y), ys, tolerance);
    }

    /// <summary>The shape pairs of the binary-op checks: equal odd shapes and every kind of broadcast.</summary>
    private static readonly (int[] X, int[] Y)[] BinaryShapes =
    [
        ([3, 5], [3, 5]),
        ([3, 1], [1, 4]),
        ([2, 3, 4], [4]),
        ([4], [2, 3, 4]),
        ([], [3, 5]),
        ([3, 5], []),
    ];

    private static void CheckBinaryAllShapes(string what, Func<Tensor, Tensor, Tensor> f, Func<int, int, double[]> xValues, Func<int, int, double[]> yValues, double tolerance)
    {
        int seed = 10;
        foreach (var (xs, ys) in BinaryShapes)
            CheckBinary(what, f, xs, ys, xValues(Count(xs), seed++), yValues(Count(ys), seed++), tolerance);
    }

    /// <summary>
    /// As <see cref="Check(string, int[], Func{Tensor, Tensor}, double[], double)"/>, with x declared with a partial shape
    /// (unknown dims), so the gradient functions take their run-time shape paths (tf.shape, BroadcastGradientArgs).
    /// </summary>
    private static void CheckDynamic(string what, int[]? declared, int[] fed, Func<Tensor, Tensor> f, int[] yShape, double[] init, double tolerance)
    {
        tf.reset_default_graph();
        var x = tf.placeholder(tf.float64, declared is null ? TensorShape.Unknown : new TensorShape(declared), name: "x");
        var y = f(x);
        var g = tf.gradients(y, x)[0];
        Assert.That(g, Is.Not.Null, $"{what}: gradient exists");
        var err = tf.test.compute_gradient_error(x, new TensorShape(fed), y, new TensorShape(yShape), init, Delta);
        Assert.That(err, Is.LessThan(tolerance), what);
    }

    // ---------------------------------------------------------------- binary elementwise ops

    [Test]
    public void Add() => CheckBinaryAllShapes("add", (a, b) => tf.add(a, b), (n, s) => Uniform(n, s), (n, s) => Uniform(n, s), Exact);

    [Test]
    public void Subtract() => CheckBinaryAllShapes("subtract", (a, b) => tf.subtract(a, b), (n, s) => Uniform(n, s), (n, s) => Uniform(n, s), Exact);

    [Test]
    public void Multiply() => CheckBinaryAllShapes("multiply", (a, b) => tf.multiply(a, b), (n, s) => Uniform(n, s), (n, s) => Uniform(n, s), Exact);

    [Test]
    public void Divide() => CheckBinaryAllShapes("divide", (a, b) => tf.divide(a, b), (n, s) => Uniform(n, s), (n, s) => AwayFromZero(n, s, 0.5, 1.5), Smooth);

    [Test]
    public void PowWithPositiveBase() =>
        CheckBinaryAllShapes("pow", (a, b) => tf.pow(a, b), (n, s) => Uniform(n, s, 0.5, 2.0), (n, s) => Uniform(n, s, -1.5, 2.5), Smooth);

    /// <summary>x on a grid offset from y's by half a step: every pair differs by at least 0.1, so no ties.</summary>
    private static double[] GridA(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => 0.2 * r.Next(-5, 6) + 0.05).ToArray(); }
    private static double[] GridB(int n, int seed) { var r = new Random(seed); return Enumerable.Range(0, n).Select(_ => 0.2 * r.Next(-5, 6) + 0.15).ToArray(); }

    [Test]
    public void Maximum() => CheckBinaryAllShapes("maximum", (a, b) => tf.maximum(a, b), GridA, GridB, Exact);

    [Test]
    public void Minimum() => CheckBinaryAllShapes("minimum", (a, b) => tf.minimum(a, b), GridA, GridB, Exact);

    [Test]
    public void MaximumAndMinimumSendEachGradientToTheWinner()
    {
        var a = tf.constant(new[] { 1.0, 5.0, -2.0 }, tf.float64);
        var b = tf.constant(new[] { 3.0, 4.0, -1.0 }, tf.float64);
        var gMax = tf.gradients(tf.maximum(a, b), new[] { a, b });
        var gMin = tf.gradients(tf.minimum(a, b), new[] { a, b });
        AssertValue(Eval(gMax[0]!), new[] { 0.0, 1.0, 0.0 }, [3]);
        AssertValue(Eval(gMax[1]!), new[] { 1.0, 0.0, 1.0 }, [3]);
        AssertValue(Eval(gMin[0]!), new[] { 1.0, 0.0, 1.0 }, [3]);
        AssertValue(Eval(gMin[1]!), new[] { 0.0, 1.0, 0.0 }, [3]);
    }

    [Test]
    public void SquaredDifference() =>
        CheckBinaryAllShapes("squared_difference", (a, b) => tf.squared_difference(a, b), (n, s) => Uniform(n, s), (n, s) => Uniform(n, s), Exact);

    /// <summary>|x| in [0.3, 1.2) and y in [1.5, 2.5): x/y is in (-0.8, -0.12) or (0.12, 0.8), away from every jump of floor.</summary>
    [Test]
    public void FloorMod() =>
        CheckBinaryAllShapes("floormod", (a, b) => tf.floormod(a, b), (n, s) => AwayFromZero(n, s, 0.3, 1.2), (n, s) => Uniform(n, s, 1.5, 2.5), Exact);

    [Test]
    public void FloorModGradientByHand()
    {
        // floormod(x, y) = x - floor(x / y) * y: d/dx = 1, d/dy = -floor(x / y).
        var x = tf.constant(new[] { 5.5, -5.5, 1.0 }, tf.float64);
        var y = tf.constant(new[] { 2.0, 2.0, 3.0 }, tf.float64);
        var g = tf.gradients(tf.floormod(x, y), new[] { x, y });
        AssertValue(Eval(g[0]!), new[] { 1.0, 1.0, 1.0 }, [3]);
        AssertValue(Eval(g[1]!), new[] { -2.0, 3.0, 0.0 }, [3]);
    }

    // ---------------------------------------------------------------- unary elementwise ops

    private static readonly int[] Odd = [3, 5];
    private static readonly int[] Odd3 = [2, 3, 4];

    [Test]
    public void Negative()
    {
        Check("negative", Odd, x => tf.negative(x), Exact);
        Check("negative rank 3", Odd3, x => -x, Exact);
    }

    [Test]
    public void AbsAwayFromZero()
    {
        Check("abs", Odd, x => tf.abs(x), AwayFromZero(15, 3), Exact);
        Check("abs rank 3", Odd3, x => tf.abs(x), AwayFromZero(24, 4), Exact);
    }

    [Test]
    public void Square()
    {
        Check("square", Odd, x => tf.square(x), Exact);
        Check("square rank 3", Odd3, x => tf.square(x), Exact);
    }

    [TestCase("sqrt")]
    [TestCase("rsqrt")]
    [TestCase("log")]
    [TestCase("log1p")]
    [TestCase("reciprocal")]
    public void UnaryOnPositiveInputs(string op)
    {
        Func<Tensor, Tensor> f = op switch
        {
            "sqrt" => x => tf.sqrt(x),
            "rsqrt" => x => tf.rsqrt(x),
            "log" => x => tf.log(x),
            "log1p" => x => tf.log1p(x),
            _ => x => tf.reciprocal(x),
        };
        Check(op, Odd, f, Uniform(15, 5, 0.5, 2.0), Smooth);
        Check(op + " rank 3", Odd3, f, Uniform(24, 6, 0.5, 2.0), Smooth);
    }

    [Test]
    public void Log1pNearMinusOneHalf() => Check("log1p", [4], x => tf.log1p(x), new[] { -0.5, -0.3, 0.2, 1.5 }, Smooth);

    [TestCase("exp")]
    [TestCase("sin")]
    [TestCase("cos")]
    [TestCase("tanh")]
    [TestCase("sigmoid")]
    public void UnaryOnAnyInputs(string op)
    {
        Func<Tensor, Tensor> f = op switch
        {
            "exp" => x => tf.exp(x),
            "sin" => x => tf.sin(x),
            "cos" => x => tf.cos(x),
            "tanh" => x => tf.tanh(x),
            _ => x => tf.sigmoid(x),
        };
        Check(op, Odd, f, Uniform(15, 7, -2, 2), Smooth);
        Check(op + " rank 3", Odd3, f, Uniform(24, 8, -2, 2), Smooth);
    }

    [Test]
    public void AddN()
    {
        int[] s = [3, 5];
        var a = Uniform(15, 1);
        var b = Uniform(15, 2);
        var c = Uniform(15, 3);
        Check("add_n input 0", s, x => tf.add_n(new TensorLike[] { x, Const(b, s), Const(c, s) }), a, Exact);
        Check("add_n input 1", s, x => tf.add_n(new TensorLike[] { Const(a, s), x, Const(c, s) }), b, Exact);
        Check("add_n input 2", s, x => tf.add_n(new TensorLike[] { Const(a, s), Const(b, s), x }), c, Exact);
        // The same tensor twice: both contributions count.
        Check("add_n x twice", s, x => tf.add_n(new TensorLike[] { x, Const(b, s), x }), a, Exact);
    }

    [Test]
    public void CastFloat64ToFloat32AndBack()
    {
        // Points k/8 and a power-of-two step keep x ± delta and every product exact in float32, so float32 rounding
        // does not blur the comparison.
        var init = new[] { -1.0, -0.625, 0.25, 0.5, 1.125, 0.875 };
        const double step = 1.0 / 1024;

        tf.reset_default_graph();
        var x64 = tf.placeholder(tf.float64, new TensorShape(2, 3));
        var y32 = tf.square(tf.cast(x64, tf.float32));
        var g64 = tf.gradients(y32, x64)[0];
        Assert.That(g64, Is.Not.Null);
        Assert.That(g64!.dtype, Is.EqualTo(tf.float64), "gradient of a float64 input through a cast to float32");
        Assert.That(tf.test.compute_gradient_error(x64, new TensorShape(2, 3), y32, y32.shape, init, step), Is.LessThan(1e-12));
        AssertValue(Eval(g64, new FeedDict { [x64] = new[,] { { -1.0, -0.625, 0.25 }, { 0.5, 1.125, 0.875 } } }),
                    init.Select(v => 2 * v).ToArray(), [2, 3]);

        tf.reset_default_graph();
        var x32 = tf.placeholder(tf.float32, new TensorShape(2, 3));
        var y64 = tf.square(tf.cast(x32, tf.float64));
        var g32 = tf.gradients(y64, x32)[0];
        Assert.That(g32, Is.Not.Null);
        Assert.That(g32!.dtype, Is.EqualTo(tf.float32), "gradient of a float32 input through a cast to float64");
        Assert.That(tf.test.compute_gradient_error(x32, new TensorShape(2, 3), y64, y64.shape, init, step), Is.LessThan(1e-12));
    }

    [Test]
    public void CastToAnIntegerStopsTheGradient()
    {
        var x = tf.placeholder(tf.float64, new TensorShape(3));
        var y = tf.cast(tf.cast(x, tf.int32), tf.float64) * x;
        // Only the direct path through * x carries a gradient: d/dx = int(x).
        var g = tf.gradients(y, x)[0]!;
        AssertValue(Eval(g, new FeedDict { [x] = new[] { 1.5, 2.5, -3.5 } }), new[] { 1.0, 2.0, -3.0 }, [3]);
    }

    [Test]
    public void WhereSelect()
    {
        int[] s = [3, 5];
        var cond = new bool[15];
        var r = new Random(9);
        for (int i = 0; i < cond.Length; i++) cond[i] = r.Next(2) == 0;
        Tensor C() => tf.constant(cond, shape: new TensorShape(3, 5));
        var t = Uniform(15, 1);
        var e = Uniform(15, 2);
        Check("where t", s, x => tf.where(C(), x, Const(e, s)), t, Exact);
        Check("where e", s, x => tf.where(C(), Const(t, s), x), e, Exact);
        // TF 1's Select: a vector condition picks rows of t and e.
        Tensor Rows() => tf.constant(new[] { true, false, true });
        Check("where rows t", s, x => tf.where(Rows(), x * 2.0, Const(e, s)), t, Exact);
        Check("where rows e", s, x => tf.where(Rows(), Const(t, s), tf.square(x)), e, Exact);
        // Broadcast branches: a row for t, a scalar for e.
        var row = Uniform(5, 3);
        Check("where t broadcast (5)", [5], x => tf.where(C(), x, Const(e, s)), row, Exact);
        Check("where e scalar", [], x => tf.where(C(), Const(t, s), x), new[] { 0.7 }, Exact);
        // The condition gets no gradient (it is bool), and the gradient splits by the condition, checked by hand.
        tf.reset_default_graph();
        var a = tf.constant(new[] { 1.0, 2.0, 3.0 }, tf.float64);
        var b = tf.constant(new[] { 4.0, 5.0, 6.0 }, tf.float64);
        var w = tf.where(tf.constant(new[] { true, false, true }), a, b);
        var g = tf.gradients(w * tf.constant(new[] { 10.0, 20.0, 30.0 }, tf.float64), new[] { a, b });
        AssertValue(Eval(g[0]!), new[] { 10.0, 0.0, 30.0 }, [3]);
        AssertValue(Eval(g[1]!), new[] { 0.0, 20.0, 0.0 }, [3]);
    }

    // ---------------------------------------------------------------- matmul

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void MatMul(bool ta, bool tb)
    {
        int[] aShape = ta ? [4, 3] : [3, 4];
        int[] bShape = tb ? [5, 4] : [4, 5];
        CheckBinary($"matmul ta={ta} tb={tb}", (a, b) => tf.matmul(a, b, transpose_a: ta, transpose_b: tb), aShape, bShape,
                    Uniform(12, 1), Uniform(20, 2), Exact);
    }

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void BatchedMatMul(bool ta, bool tb)
    {
        int[] aShape = ta ? [2, 4, 3] : [2, 3, 4];
        int[] bShape = tb ? [2, 5, 4] : [2, 4, 5];
        CheckBinary($"batched matmul adj_x={ta} adj_y={tb}", (a, b) => tf.matmul(a, b, transpose_a: ta, transpose_b: tb), aShape, bShape,
                    Uniform(24, 3), Uniform(40, 4), Exact);
    }

    [Test]
    public void BatchedMatMulWithBroadcastBatch()
    {
        CheckBinary("batched (2,3,4) @ (4,5)", (a, b) => tf.matmul(a, b), [2, 3, 4], [4, 5], Uniform(24, 5), Uniform(20, 6), Exact);
        CheckBinary("batched (3,4) @ (2,4,5)", (a, b) => tf.matmul(a, b), [3, 4], [2, 4, 5], Uniform(12, 7), Uniform(40, 8), Exact);
        CheckBinary("batched (1,3,4) @ (2,4,5)", (a, b) => tf.matmul(a, b), [1, 3, 4], [2, 4, 5], Uniform(12, 9), Uniform(40, 10), Exact);
        CheckBinary("batched (2,1,3,4) @ (3,4,2) adj_y", (a, b) => tf.matmul(a, b, transpose_b: true), [2, 1, 3, 4], [3, 2, 4], Uniform(24, 11), Uniform(24, 12), Exact);
    }

    // ---------------------------------------------------------------- reductions

    /// <summary>Axis all (null), one, two, negative, two negative; keepdims both ways.</summary>
    private static readonly int[]?[] ReductionAxes = [null, [1], [0, 2], [-1], [-3, -2]];

    private static void CheckReduction(string what, Func<Tensor, int[]?, bool, Tensor> reduce, Func<int, double[]> values)
    {
        int[] s = [2, 3, 4];
        foreach (var axes in ReductionAxes)
            foreach (var keep in new[] { false, true })
                Check($"{what} axis={(axes is null ? "all" : string.Join(",", axes))} keepdims={keep}", s, x => reduce(x, axes, keep), values(24),
                      what is "reduce_prod" ? Smooth : Exact);
    }

    [Test]
    public void ReduceSum() => CheckReduction("reduce_sum", (x, a, k) => tf.reduce_sum(x, a, keepdims: k), n => Uniform(n, 21));

    [Test]
    public void ReduceMean() => CheckReduction("reduce_mean", (x, a, k) => tf.reduce_mean(x, a, keepdims: k), n => Uniform(n, 22));

    [Test]
    public void ReduceMax() => CheckReduction("reduce_max", (x, a, k) => tf.reduce_max(x, a, keepdims: k), n => Distinct(n, 23));

    [Test]
    public void ReduceMin() => CheckReduction("reduce_min", (x, a, k) => tf.reduce_min(x, a, keepdims: k), n => Distinct(n, 24));

    [Test]
    public void ReduceProd() => CheckReduction("reduce_prod", (x, a, k) => tf.reduce_prod(x, a, keepdims: k), n => AwayFromZero(n, 25, 0.5, 1.5));

    [Test]
    public void ReduceMaxSharesTheGradientAmongTies()
    {
        var x = tf.constant(new[,] { { 1.0, 3.0, 3.0 }, { 2.0, 2.0, 2.0 } }, tf.float64);
        var g = tf.gradients(tf.reduce_max(x, 1), x)[0]!;
        AssertValue(Eval(g), new[] { 0.0, 0.5, 0.5, 1.0 / 3, 1.0 / 3, 1.0 / 3 }, [2, 3], 1e-15);
    }

    [Test]
    public void ReduceProdWithOneAndTwoZerosInARow()
    {
        // d prod / d x_j = product of the other elements of its row, by hand:
        // row 0 [2, 0, 3]: [0·3, 2·3, 2·0] = [0, 6, 0]
        // row 1 [0, 5, 0]: [5·0, 0·0, 0·5] = [0, 0, 0]
        // row 2 [1, 2, 4]: [8, 4, 2]
        // row 3 [0, 0, 0]: [0, 0, 0]
        // row 4 [-2, 0, 0.5]: [0, -1, 0]
        var values = new[,] { { 2.0, 0.0, 3.0 }, { 0.0, 5.0, 0.0 }, { 1.0, 2.0, 4.0 }, { 0.0, 0.0, 0.0 }, { -2.0, 0.0, 0.5 } };
        var x = tf.placeholder(tf.float64, new TensorShape(5, 3));
        var upstream = tf.constant(new[] { 1.0, 1.0, 1.0, 1.0, 10.0 }, tf.float64);
        var g = tf.gradients(tf.reduce_prod(x, 1) * upstream, x)[0]!;
        AssertValue(Eval(g, new FeedDict { [x] = values }),
                    new[] { 0.0, 6.0, 0.0, 0.0, 0.0, 0.0, 8.0, 4.0, 2.0, 0.0, 0.0, 0.0, 0.0, -10.0, 0.0 }, [5, 3]);
        // keepdims and a reduction over every axis: one zero in the whole tensor [[2, 0], [3, -1]]: only the zero gets 2·3·(-1).
        var x2 = tf.placeholder(tf.float64, new TensorShape(2, 2));
        var g2 = tf.gradients(tf.reduce_prod(x2, keepdims: true), x2)[0]!;
        AssertValue(Eval(g2, new FeedDict { [x2] = new[,] { { 2.0, 0.0 }, { 3.0, -1.0 } } }), new[] { 0.0, -6.0, 0.0, 0.0 }, [2, 2]);
        // Two zeros in the whole tensor: all zero.
        AssertValue(Eval(g2, new FeedDict { [x2] = new[,] { { 0.0, 4.0 }, { 3.0, 0.0 } } }), new[] { 0.0, 0.0, 0.0, 0.0 }, [2, 2]);
        // The same finite-difference check near a single zero (the product is linear in each element).
        Check("reduce_prod with a zero", [2, 3], v => tf.reduce_prod(v, 1), new[] { 2.0, 0.0, 3.0, 0.5, -1.5, 0.25 }, Exact);
    }

    // ---------------------------------------------------------------- activations

    [Test]
    public void Relu()
    {
        Check("relu", Odd, x => tf.nn.relu(x), AwayFromZero(15, 31), Exact);
        Check("relu rank 3", Odd3, x => tf.nn.relu(x), AwayFromZero(24, 32), Exact);
    }

    [Test]
    public void Relu6()
    {
        // Away from the kinks at 0 and 6: values on both sides of each.
        var init = new[] { -2.0, -0.3, 0.4, 2.0, 5.5, 6.5, 8.0, -7.0, 3.0, 1.0, 5.9, 6.1, -0.1, 0.1, 4.0 };
        Check("relu6", Odd, x => tf.nn.relu6(x), init, Exact);
    }

    [Test]
    public void LeakyRelu()
    {
        Check("leaky_relu", Odd, x => tf.nn.leaky_relu(x), AwayFromZero(15, 33), Exact);
        Check("leaky_relu alpha 0.5 rank 3", Odd3, x => tf.nn.leaky_relu(x, alpha: 0.5f), AwayFromZero(24, 34), Exact);
    }

    [Test]
    public void Elu()
    {
        Check("elu", Odd, x => tf.nn.elu(x), AwayFromZero(15, 35, 0.1, 2.0), Smooth);
        Check("elu rank 3", Odd3, x => tf.nn.elu(x), AwayFromZero(24, 36, 0.1, 2.0), Smooth);
    }

    [Test]
    public void Softplus()
    {
        Check("softplus", Odd, x => tf.nn.softplus(x), Uniform(15, 37, -3, 3), Smooth);
        Check("softplus rank 3", Odd3, x => tf.nn.softplus(x), Uniform(24, 38, -3, 3), Smooth);
    }

    [Test]
    public void Softmax()
    {
        Check("softmax", Odd, x => tf.nn.softmax(x), Uniform(15, 39, -2, 2), Smooth);
        Check("softmax rank 3", Odd3, x => tf.nn.softmax(x), Uniform(24, 40, -2, 2), Smooth);
        Check("softmax axis 0", Odd, x => tf.nn.softmax(x, axis: 0), Uniform(15, 41, -2, 2), Smooth);
    }

    [Test]
    public void LogSoftmax()
    {
        Check("log_softmax", Odd, x => tf.nn.log_softmax(x), Uniform(15, 42, -2, 2), Smooth);
        Check("log_softmax rank 3", Odd3, x => tf.nn.log_softmax(x), Uniform(24, 43, -2, 2), Smooth);
        Check("log_softmax axis 0", Odd, x => tf.nn.log_softmax(x, axis: 0), Uniform(15, 44, -2, 2), Smooth);
    }

    [Test]
    public void BiasAdd()
    {
        CheckBinary("bias_add rank 2", (v, b) => tf.nn.bias_add(v, b), [3, 5], [5], Uniform(15, 45), Uniform(5, 46), Exact);
        CheckBinary("bias_add rank 4 NHWC", (v, b) => tf.nn.bias_add(v, b), [2, 3, 2, 5], [5], Uniform(60, 47), Uniform(5, 48), Exact);
        CheckBinary("bias_add rank 4 NCHW", (v, b) => tf.nn.bias_add(v, b, data_format: "NCHW"), [2, 5, 3, 2], [5], Uniform(60, 49), Uniform(5, 50), Exact);
    }

    [Test]
    public void BiasAddGradientOfTheBiasSumsOverAllButTheChannel()
    {
        // NCHW (2, 3, 1, 2): the bias gradient of channel c sums the upstream gradient over n, h, w.
        var v = tf.constant(new double[12], tf.float64, shape: new TensorShape(2, 3, 1, 2));
        var b = tf.constant(new[] { 0.0, 0.0, 0.0 }, tf.float64);
        var up = Enumerable.Range(1, 12).Select(i => (double)i).ToArray();
        var y = tf.nn.bias_add(v, b, data_format: "NCHW") * tf.constant(up, tf.float64, shape: new TensorShape(2, 3, 1, 2));
        // channel 0: 1+2+7+8 = 18; channel 1: 3+4+9+10 = 26; channel 2: 5+6+11+12 = 34
        AssertValue(Eval(tf.gradients(y, b)[0]!), new[] { 18.0, 26.0, 34.0 }, [3]);
    }

    // ---------------------------------------------------------------- array ops (all linear: exact)

    [Test]
    public void Reshape()
    {
        Check("reshape", Odd, x => tf.reshape(x, new TensorShape(5, 3)), Exact);
        Check("reshape -1", Odd3, x => tf.reshape(x, new TensorShape(-1, 6)), Exact);
    }

    [Test]
    public void Transpose()
    {
        Check("transpose", Odd, x => tf.transpose(x), Exact);
        Check("transpose [2,0,1]", Odd3, x => tf.transpose(x, [2, 0, 1]), Exact);
        Check("transpose [1,2,0] then scaled", Odd3, x => tf.transpose(x, [1, 2, 0]) * Const(Uniform(24, 51), [3, 4, 2]), Exact);
    }

    [Test]
    public void ExpandDimsAndSqueeze()
    {
        Check("expand_dims 0", Odd, x => tf.expand_dims(x, 0) * Const(Uniform(15, 52), [1, 3, 5]), Exact);
        Check("expand_dims -1", Odd, x => tf.expand_dims(x, -1), Exact);
        Check("squeeze all", [3, 1, 5, 1], x => tf.squeeze(x) * Const(Uniform(15, 53), [3, 5]), Exact);
        Check("squeeze axis", [3, 1, 5, 1], x => tf.squeeze(x, [3]), Exact);
    }

    [Test]
    public void Concat()
    {
        CheckBinary("concat axis 0", (a, b) => tf.concat(new TensorLike[] { a, b }, 0) * Const(Uniform(18, 54), [6, 3]), [2, 3], [4, 3], Uniform(6, 55), Uniform(12, 56), Exact);
        CheckBinary("concat axis 1", (a, b) => tf.concat(new TensorLike[] { a, b }, 1) * Const(Uniform(18, 57), [3, 6]), [3, 2], [3, 4], Uniform(6, 58), Uniform(12, 59), Exact);
        CheckBinary("concat axis -1 rank 3", (a, b) => tf.concat(new TensorLike[] { b, a, b }, -1), [2, 3, 1], [2, 3, 2], Uniform(6, 60), Uniform(12, 61), Exact);
    }

    [Test]
    public void Stack()
    {
        var c = Uniform(15, 62);
        foreach (var axis in new[] { 0, 1, 2 })
        {
            Check($"stack axis {axis} input 0", Odd, x => tf.stack(new TensorLike[] { x, Const(c, Odd) }, axis), Uniform(15, 63), Exact);
            Check($"stack axis {axis} input 1", Odd, x => tf.stack(new TensorLike[] { Const(c, Odd), x }, axis), Uniform(15, 64), Exact);
        }
    }

    [Test]
    public void Unstack()
    {
        // One output, and two outputs weighted differently (the unused ones get zero gradient).
        Check("unstack axis 0 [1]", Odd, x => tf.unstack(x)[1], Exact);
        Check("unstack axis 1 out1 - 2 out3", Odd, x => { var parts = tf.unstack(x, axis: 1); return parts[1] - parts[3] * 2.0; }, Exact);
        Check("unstack rank 3 axis -1", Odd3, x => { var parts = tf.unstack(x, axis: -1); return tf.stack(new TensorLike[] { parts[3], parts[0] }); }, Exact);
    }

    [Test]
    public void SplitEqualParts()
    {
        Check("split 3 axis 1, part 1", [4, 6], x => tf.split(x, 3, axis: 1)[1], Exact);
        Check("split 3 axis 1, parts 0 + 2·2", [4, 6], x => { var p = tf.split(x, 3, axis: 1); return p[0] + p[2] * 2.0; }, Exact);
        Check("split 2 axis 0", Odd3, x => tf.split(x, 2)[0] * 3.0, Exact);
    }

    [Test]
    public void SplitBySizes()
    {
        Check("split [1,-1,2] axis 1, part 1", [3, 6], x => tf.split(x, new[] { 1, -1, 2 }, axis: 1)[1], Exact);
        Check("split [1,-1,2] axis 1, parts 2 and 0", [3, 6], x =>
        {
            var p = tf.split(x, new[] { 1, -1, 2 }, axis: 1);
            return tf.concat(new TensorLike[] { p[2] * 2.0, p[0] }, 1);
        }, Exact);
        Check("split [3,1] axis 0", [4, 5], x => tf.split(x, new[] { 3, 1 })[0], Exact);
    }

    [Test]
    public void Slice()
    {
        Check("slice", Odd, x => tf.slice(x, [1, 2], [2, 2]), Exact);
        Check("slice -1 size", Odd3, x => tf.slice(x, [1, 0, 1], [-1, 2, -1]), Exact);
    }

    [TestCase("::-1, 1:4:2")]
    [TestCase("1, ::-2")]
    [TestCase(":, tf.newaxis, 1:")]
    [TestCase("..., -1")]
    [TestCase("-1:0:-1, 2, ::-3")]
    [TestCase("tf.newaxis, 0, ..., 1:3")]
    public void StridedSliceThroughTheIndexer(string spec)
    {
        Check($"x[\"{spec}\"]", [3, 4, 5], x => x[spec], Exact);
    }

    [Test]
    public void StridedSliceGradientPutsValuesBackByHand()
    {
        var x = tf.constant(new[] { 1.0, 2.0, 3.0, 4.0, 5.0 }, tf.float64);
        var y = x["::-2"] * tf.constant(new[] { 10.0, 20.0, 30.0 }, tf.float64);
        // x[::-2] = [x4, x2, x0]
        AssertValue(Eval(tf.gradients(y, x)[0]!), new[] { 30.0, 0.0, 20.0, 0.0, 10.0 }, [5]);
    }

    [Test]
    public void GatherWithRepeatedIndices()
    {
        Check("gather axis 0", [5, 3], x => tf.gather(x, new[] { 2, 0, 2, 4 }), Exact);
        Check("gather axis 1 rank 3", [3, 4, 2], x => tf.gather(x, new[] { 1, 1, 3 }, axis: 1), Exact);
        Check("gather axis 0 indices rank 2", [4, 3], x => tf.gather(x, new[,] { { 0, 2 }, { 2, 2 } }), Exact);
        Check("gather axis 2", [2, 3, 4], x => tf.gather(x, new[] { 3, 0, 3 }, axis: 2), Exact);
        Check("gather batch_dims 1", [3, 5], x => tf.gather(x, new[,] { { 2, 4, 2 }, { 0, 0, 1 }, { 4, 3, 3 } }, axis: 1, batch_dims: 1), Exact);
        Check("gather batch_dims 1, dims between and after", [2, 2, 4, 3], x => tf.gather(x, new[,] { { 3, 0, 3 }, { 1, 2, 1 } }, axis: 2, batch_dims: 1), Exact);
        Check("gather batch_dims 2", [2, 3, 4], x => tf.gather(x, new long[,,] { { { 1, 1 }, { 0, 3 }, { 2, 2 } }, { { 3, 0 }, { 0, 0 }, { 1, 2 } } }, batch_dims: 2), Exact);
        // By hand: row 2 gathered twice gets twice the gradient.
        tf.reset_default_graph();
        var p = tf.constant(new[,] { { 1.0, 2.0 }, { 3.0, 4.0 }, { 5.0, 6.0 } }, tf.float64);
        var g = tf.gradients(tf.gather(p, new[] { 2, 0, 2 }), p)[0]!;
        AssertValue(Eval(g), new[] { 1.0, 1.0, 0.0, 0.0, 2.0, 2.0 }, [3, 2]);
    }

    [Test]
    public void GatherAndTileOfUnknownRanks()
    {
        // Embedding ids fed through a placeholder with no shape, and params of unknown rank: TensorFlow reads the
        // shapes at run time, so the gradient needs no static rank.
        CheckDynamic("gather, params of unknown rank", null, [5, 3], x => tf.gather(x, new[] { 2, 0, 2, 4 }), [4, 3], Uniform(15, 120), Exact);
        CheckDynamic("gather, ids of unknown rank", [5, 3], [5, 3],
            x => tf.gather(x, tf.placeholder_with_default(tf.constant(new[,] { { 1, 4 }, { 1, 0 } }), TensorShape.Unknown)), [2, 2, 3], Uniform(15, 121), Exact);
        CheckDynamic("tile of unknown rank", null, [2, 3], x => tf.tile(x, [2, 3]) * Const(Uniform(36, 122), [4, 9]), [4, 9], Uniform(6, 123), Exact);
    }

    [Test]
    public void Tile()
    {
        Check("tile", [2, 3], x => tf.tile(x, [2, 3]) * Const(Uniform(36, 65), [4, 9]), Exact);
        Check("tile rank 3", [2, 1, 3], x => tf.tile(x, [1, 4, 2]), Exact);
    }

    [Test]
    public void Reverse() => Check("reverse", [3, 4, 2], x => tf.reverse(x, [0, 2]) * Const(Uniform(24, 69), [3, 4, 2]), Exact);

    [Test]
    public void Pad()
    {
        Check("pad", [2, 3], x => tf.pad(x, new[,] { { 1, 0 }, { 2, 1 } }) * Const(Uniform(18, 66), [3, 6]), Exact);
        Check("pad with constant value", [2, 3], x => tf.pad(x, new[,] { { 0, 2 }, { 1, 1 } }, constant_values: 5.0), Exact);
        // Mirror padding: each mirrored copy's gradient is added back onto the element it copies.
        Check("pad REFLECT", [3, 4, 2], x => tf.pad(x, new[,] { { 2, 1 }, { 0, 3 }, { 1, 1 } }, "REFLECT") * Const(Uniform(6 * 7 * 4, 67), [6, 7, 4]), Exact);
        Check("pad SYMMETRIC", [3, 4, 2], x => tf.pad(x, new[,] { { 3, 0 }, { 4, 2 }, { 0, 2 } }, "SYMMETRIC") * Const(Uniform(6 * 10 * 4, 68), [6, 10, 4]), Exact);
    }

    [Test]
    public void BroadcastTo()
    {
        Check("broadcast_to (3,1) -> (2,3,4)", [3, 1], x => tf.broadcast_to(x, new TensorShape(2, 3, 4)) * Const(Uniform(24, 67), [2, 3, 4]), Exact);
        Check("broadcast_to (4) -> (3,4)", [4], x => tf.broadcast_to(x, new TensorShape(3, 4)), Exact);
    }

    [Test]
    public void Identity()
    {
        Check("identity", Odd, x => tf.identity(x), Exact);
        Check("identity chain", Odd3, x => tf.identity(tf.identity(x)) * 3.0, Exact);
    }

    // ---------------------------------------------------------------- losses

    /// <summary>Label distributions for 3 rows of 4 classes; each row sums to 1 (the backprop TensorFlow's kernel computes assumes it).</summary>
    private static readonly double[] SoftLabels = [0.1, 0.2, 0.3, 0.4, 0.0, 1.0, 0.0, 0.0, 0.25, 0.25, 0.5, 0.0];

    [Test]
    public void SoftmaxCrossEntropyWithLogitsV1()
    {
        int[] s = [3, 4];
        Check("softmax_cross_entropy_with_logits d/dlogits", s, z => tf.nn.softmax_cross_entropy_with_logits(Const(SoftLabels, s), z), Uniform(12, 71, -2, 2), Smooth);
        // Weighted rows, so each row's loss gradient differs.
        Check("softmax_cross_entropy_with_logits weighted", s,
              z => tf.nn.softmax_cross_entropy_with_logits(Const(SoftLabels, s), z) * Const([1.0, -2.0, 0.5], [3]), Uniform(12, 72, -2, 2), Smooth);
        // Version 1 passes no gradient to the labels.
        tf.reset_default_graph();
        var labels = tf.placeholder(tf.float64, new TensorShape(3, 4));
        var loss = tf.nn.softmax_cross_entropy_with_logits(labels, Const(Uniform(12, 73), s));
        Assert.That(tf.gradients(loss, labels)[0], Is.Null);
    }

    [Test]
    public void SoftmaxCrossEntropyWithLogitsV2()
    {
        int[] s = [3, 4];
        var logits = Uniform(12, 74, -2, 2);
        Check("softmax_cross_entropy_with_logits_v2 d/dlogits", s, z => tf.nn.softmax_cross_entropy_with_logits_v2(Const(SoftLabels, s), z), logits, Smooth);
        Check("softmax_cross_entropy_with_logits_v2 d/dlabels", s, l => tf.nn.softmax_cross_entropy_with_logits_v2(l, Const(logits, s)), SoftLabels, Exact);
        Check("softmax_cross_entropy_with_logits_v2 weighted d/dlabels", s,
              l => tf.nn.softmax_cross_entropy_with_logits_v2(l, Const(logits, s)) * Const([1.0, -2.0, 0.5], [3]), SoftLabels, Exact);
    }

    [Test]
    public void SoftmaxCrossEntropySecondDerivative()
    {
        // Differentiating the first gradient (a gradient penalty, a Hessian-vector product): the gradient reaches the
        // op's backprop output, whose term goes through softmax.
        int[] s = [3, 4];
        var elementWeights = Uniform(12, 81, -1, 1);
        Check("softmax_cross_entropy_with_logits_v2 second derivative", s,
              z => tf.gradients(tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits_v2(Const(SoftLabels, s), z) * Const([1.0, -2.0, 0.5], [3])), z)[0]!
                   * Const(elementWeights, s),
              Uniform(12, 80, -2, 2), Smooth);
        // The sparse op refuses, as TensorFlow does, rather than return zeros.
        tf.reset_default_graph();
        var x = tf.placeholder(tf.float64, new TensorShape(s));
        var first = tf.gradients(tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(new[] { 3, 0, 2 }), x)), x)[0]!;
        var error = Assert.Throws<UnimplementedException>(() => tf.gradients(tf.reduce_sum(first * first), x));
        Assert.That(error!.Message, Does.Contain("second derivative").And.Contain("SparseSoftmaxCrossEntropyWithLogits"));
    }

    [TestCase("tanh")]
    [TestCase("sigmoid")]
    [TestCase("sqrt")]
    [TestCase("rsqrt")]
    [TestCase("reciprocal")]
    [TestCase("relu")]
    [TestCase("relu6")]
    [TestCase("elu")]
    [TestCase("softplus")]
    [TestCase("leaky_relu")]
    public void ActivationSecondDerivatives(string op)
    {
        // An activation's gradient differentiated again, in x (Hessian-vector products, u_xx) and in the gradient that
        // flows into it (a gradient penalty). Inputs avoid the kinks at 0 and 6, and are positive where the op needs it.
        Func<Tensor, Tensor> act = op switch
        {
            "tanh" => x => tf.tanh(x), "sigmoid" => x => tf.sigmoid(x), "sqrt" => x => tf.sqrt(x), "rsqrt" => x => tf.rsqrt(x), "reciprocal" => x => tf.reciprocal(x),
            "relu" => x => tf.nn.relu(x), "relu6" => x => tf.nn.relu6(x), "elu" => x => tf.nn.elu(x), "softplus" => x => tf.nn.softplus(x),
            _ => x => tf.nn.leaky_relu(x, alpha: 0.3f),
        };
        bool positive = op is "sqrt" or "rsqrt" or "reciprocal";
        double[] xs = positive ? [0.4, 1.3, 0.7, 2.1, 0.9, 1.6] : [-1.7, 0.4, -0.3, 1.2, 6.8, -2.2];
        int[] s = [6];
        double[] w1 = Uniform(6, 91, 0.5, 1.5), w2 = Uniform(6, 92, -1, 1);
        Check($"{op}'' in x", s, x => tf.gradients(tf.reduce_sum(act(x) * Const(w1, s)), x)[0]! * Const(w2, s), xs, Smooth);
        Check($"{op}' in its upstream gradient", s, u =>
        {
            var x0 = Const(xs, s);
            return tf.gradients(tf.reduce_sum(act(x0) * u), x0)[0]! * Const(w2, s);
        }, Uniform(6, 93), Exact);
    }

    [Test]
    public void ClipByNormOfZerosHasAFiniteGradient()
    {
        // TensorFlow's two-select norm: at t = 0 the value is 0 and the gradient of Σ clip(t) is 1 (sqrt(0)' would be NaN).
        var t = tf.zeros(new TensorShape(3), dtype: tf.float64);
        var g = tf.gradients(tf.reduce_sum(tf.clip_by_norm(t, 1.0)), t)[0]!;
        using var sess = tf.Session();
        AssertValue(sess.run(g), new[] { 1.0, 1.0, 1.0 }, [3]);
        Check("clip_by_norm", [4], x => tf.clip_by_norm(x, 0.5), Uniform(4, 95), Smooth);
    }

    [Test]
    public void SparseSoftmaxCrossEntropyWithLogits()
    {
        int[] s = [3, 4];
        Check("sparse_softmax_cross_entropy_with_logits", s, z => tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(new[] { 3, 0, 2 }), z), Uniform(12, 75, -2, 2), Smooth);
        Check("sparse_softmax_cross_entropy_with_logits weighted", s,
              z => tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(new[] { 1, 1, 0 }), z) * Const([0.5, 2.0, -1.0], [3]), Uniform(12, 76, -2, 2), Smooth);
        // Integer labels get no gradient.
        tf.reset_default_graph();
        var labels = tf.placeholder(tf.int32, new TensorShape(3));
        var loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, Const(Uniform(12, 77), s));
        Assert.That(tf.gradients(loss, labels)[0], Is.Null);
    }

    [Test]
    public void SigmoidCrossEntropyWithLogits()
    {
        int[] s = [3, 5];
        var labels = Uniform(15, 78, 0, 1);
        var logits = AwayFromZero(15, 79, 0.1, 3);
        CheckBinary("sigmoid_cross_entropy_with_logits", (z, l) => tf.nn.sigmoid_cross_entropy_with_logits(l, z), s, s, logits, labels, Smooth);
    }

    [Test]
    public void L2Loss()
    {
        Check("l2_loss", Odd, x => tf.nn.l2_loss(x), Exact);
        Check("l2_loss rank 3", Odd3, x => tf.nn.l2_loss(x), Exact);
    }

    [Test]
    public void MeanSquaredError()
    {
        CheckBinary("mean_squared_error", (p, l) => tf.losses.mean_squared_error(l, p), Odd, Odd, Uniform(15, 80), Uniform(15, 81), Exact);
        CheckBinary("mean_squared_error weighted", (p, l) => tf.losses.mean_squared_error(l, p, weights: 0.5), Odd3, Odd3, Uniform(24, 82), Uniform(24, 83), Exact);
    }

    // ---------------------------------------------------------------- unknown dimensions (run-time shape paths)

    [Test]
    public void BroadcastingWithAnUnknownBatchDimension()
    {
        CheckDynamic("add (?,1) + (1,4)", [-1, 1], [3, 1], x => x + Const(Uniform(4, 90), [1, 4]), [3, 4], Uniform(3, 91), Exact);
        CheckDynamic("mul (?,1) * (1,4)", [-1, 1], [3, 1], x => x * Const(Uniform(4, 92), [1, 4]), [3, 4], Uniform(3, 93), Exact);
        CheckDynamic("sub (4) - (?,4)", [-1, 4], [2, 4], x => Const(Uniform(4, 94), [4]) - x, [2, 4], Uniform(8, 95), Exact);
        CheckDynamic("div (?,3) / (3)", [-1, 3], [2, 3], x => x / Const(Uniform(3, 96, 0.5, 1.5), [3]), [2, 3], Uniform(6, 97), Exact);
        CheckDynamic("div (3) / (?,3)", [-1, 3], [2, 3], x => Const(Uniform(3, 98), [3]) / x, [2, 3], AwayFromZero(6, 99, 0.5, 1.5), Smooth);
        CheckDynamic("maximum unknown rank", null, [2, 3], x => tf.maximum(x, Const(GridB(3, 100), [3])), [2, 3], GridA(6, 101), Exact);
        CheckDynamic("where with unknown shape", [-1, 3], [2, 3], x => tf.where(x > 0.0, x * 2.0, Const(Uniform(3, 102), [1, 3])), [2, 3], AwayFromZero(6, 103), Exact);
    }

    [Test]
    public void ReductionsWithUnknownDimensions()
    {
        foreach (var keep in new[] { false, true })
        {
            int[] y1 = keep ? [2, 1, 4] : [2, 4];
            CheckDynamic($"reduce_sum axis 1 keepdims={keep}", [-1, 3, -1], [2, 3, 4], x => tf.reduce_sum(x, 1, keepdims: keep), y1, Uniform(24, 104), Exact);
            CheckDynamic($"reduce_mean axis 1 keepdims={keep}", [-1, -1, 4], [2, 3, 4], x => tf.reduce_mean(x, 1, keepdims: keep), y1, Uniform(24, 105), Exact);
            CheckDynamic($"reduce_max axis -1 keepdims={keep}", [-1, 3, 4], [2, 3, 4], x => tf.reduce_max(x, -1, keepdims: keep), keep ? [2, 3, 1] : [2, 3], Distinct(24, 106), Exact);
            CheckDynamic($"reduce_prod axis 0 keepdims={keep}", [-1, 3, 4], [2, 3, 4], x => tf.reduce_prod(x, 0, keepdims: keep), keep ? [1, 3, 4] : [3, 4], AwayFromZero(24, 107, 0.5, 1.5), Exact);
            CheckDynamic($"reduce_mean all keepdims={keep}", [-1, 3], [5, 3], x => tf.reduce_mean(x, keepdims: keep), keep ? [1, 1] : [], Uniform(15, 108), Exact);
        }
    }

    [Test]
    public void ReductionsOfAnInputOfUnknownRank()
    {
        // A tf.placeholder without a shape: the reduced shape is only known at run time.
        CheckDynamic("reduce_sum all", null, [2, 3], x => tf.reduce_sum(x * x), [], Uniform(6, 150), Exact);
        CheckDynamic("reduce_mean all", null, [2, 3], x => tf.reduce_mean(x * x), [], Uniform(6, 151), Exact);
        CheckDynamic("reduce_max all", null, [2, 3], x => tf.reduce_max(x), [], Distinct(6, 152), Exact);
        CheckDynamic("reduce_min axis 1", null, [2, 3], x => tf.reduce_min(x, 1), [2], Distinct(6, 153), Exact);
        CheckDynamic("reduce_prod axis -1 keepdims", null, [2, 3], x => tf.reduce_prod(x, -1, keepdims: true), [2, 1], AwayFromZero(6, 154, 0.5, 1.5), Exact);
        CheckDynamic("reduce_sum axes [0, -1] rank 3", null, [2, 3, 4], x => tf.reduce_sum(x, [0, -1]), [3], Uniform(24, 155), Exact);
        CheckDynamic("reduce_mean axis 0 keepdims rank 3", null, [2, 3, 4], x => tf.reduce_mean(x, 0, keepdims: true), [1, 3, 4], Uniform(24, 156), Exact);
    }

    [Test]
    public void LinearRegressionOnShapelessPlaceholdersTrains()
    {
        // TensorFlow-Examples' linear regression: X and Y are tf.placeholder("float") without a shape.
        var X = tf.placeholder(tf.float32, name: "X");
        var Y = tf.placeholder(tf.float32, name: "Y");
        var W = tf.Variable(0.5f, name: "weight");
        var b = tf.Variable(0.1f, name: "bias");
        var cost = tf.reduce_sum(tf.pow(X * W + b - Y, 2f)) / (2f * 4);
        var train = tf.train.GradientDescentOptimizer(0.01f).minimize(cost);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(train, (X, new[] { 1f, 2f, 3f, 4f }), (Y, new[] { 2f, 3f, 4f, 5f }));
        // residuals r = 0.5x + 0.1 - y = [-1.4, -1.9, -2.4, -2.9]; dW = 2·sum(r·x)/8 = (-1.4 - 3.8 - 7.2 - 11.6)/4 = -6, db = sum(r)/4 = -8.6/4 = -2.15
        Assert.That((double)(float)sess.run(W), Is.EqualTo(0.5 + 0.01 * 6.0).Within(1e-6));
        Assert.That((double)(float)sess.run(b), Is.EqualTo(0.1 + 0.01 * 2.15).Within(1e-6));
    }

    [Test]
    public void SecondOrderThroughTheGradientsOfStridedSliceAndBiasAdd()
    {
        // d/dx of the gradient of sum(x[1:]²): the gradient is StridedSliceGrad(2·x[1:]), linear in x.
        CheckDynamic("second order through StridedSliceGrad", [-1], [4], x => tf.gradients(tf.reduce_sum(tf.square(x["1:"])), x)[0]!, [4], Uniform(4, 157), Exact);
        Check("second order through StridedSliceGrad, static", [3, 4], x => tf.gradients(tf.reduce_sum(tf.square(x["::-1, 1::2"])) , x)[0]!, Exact);
        // The bias gradient of sum(bias_add(v, b)²) is BiasAddGrad(2·(v + b)); its gradient with respect to v.
        Check("second order through BiasAddGrad NHWC", [2, 3], v =>
        {
            var b = Const(Uniform(3, 158), [3]);
            return tf.gradients(tf.reduce_sum(tf.square(tf.nn.bias_add(v, b))), b)[0]!;
        }, Exact);
        Check("second order through BiasAddGrad NCHW", [2, 3, 2, 2], v =>
        {
            var b = Const(Uniform(3, 159), [3]);
            return tf.gradients(tf.reduce_sum(tf.square(tf.nn.bias_add(v, b, data_format: "NCHW"))), b)[0]!;
        }, Exact);
    }

    [Test]
    public void ArrayOpsWithUnknownDimensions()
    {
        CheckDynamic("reshape", [-1, 6], [2, 6], x => tf.reshape(x, new TensorShape(-1, 3)) * Const(Uniform(3, 109), [3]), [4, 3], Uniform(12, 110), Exact);
        CheckDynamic("tile", [-1, 2], [3, 2], x => tf.tile(x, [2, 2]) * Const(Uniform(4, 111), [4]), [6, 4], Uniform(6, 112), Exact);
        CheckDynamic("pad", [-1, 2], [3, 2], x => tf.pad(x, new[,] { { 1, 2 }, { 0, 1 } }) * Const(Uniform(3, 113), [3]), [6, 3], Uniform(6, 114), Exact);
        CheckDynamic("slice", [-1, 4], [3, 4], x => tf.slice(x, [1, 1], [-1, 2]), [2, 2], Uniform(12, 115), Exact);
        CheckDynamic("strided slice", [-1, 4], [3, 4], x => x["::-1, 1::2"], [3, 2], Uniform(12, 116), Exact);
        CheckDynamic("gather axis 1", [-1, 4], [3, 4], x => tf.gather(x, new[] { 3, 3, 0 }, axis: 1), [3, 3], Uniform(12, 117), Exact);
        CheckDynamic("concat axis 0", [-1, 3], [2, 3], x => tf.concat(new TensorLike[] { x, Const(Uniform(3, 118), [1, 3]), x }, 0), [5, 3], Uniform(6, 119), Exact);
        CheckDynamic("transpose", [-1, 3, 2], [2, 3, 2], x => tf.transpose(x, [2, 0, 1]), [2, 2, 3], Uniform(12, 120), Exact);
        CheckDynamic("expand_dims", [-1, 3], [2, 3], x => tf.expand_dims(x, 1) * Const(Uniform(6, 121), [2, 3]), [2, 2, 3], Uniform(6, 122), Exact);
        CheckDynamic("squeeze", [-1, 1, 3], [2, 1, 3], x => tf.squeeze(x, [1]), [2, 3], Uniform(6, 123), Exact);
        CheckDynamic("split", [-1, 4], [3, 4], x => tf.split(x, 2, axis: 1)[1], [3, 2], Uniform(12, 124), Exact);
        CheckDynamic("unstack", [-1, 3], [2, 3], x => tf.unstack(x, axis: 1)[2], [2], Uniform(6, 125), Exact);
    }

    [Test]
    public void NnOpsWithUnknownDimensions()
    {
        CheckDynamic("matmul (?,4) @ (4,3)", [-1, 4], [2, 4], x => tf.matmul(x, Const(Uniform(12, 126), [4, 3])), [2, 3], Uniform(8, 127), Exact);
        CheckDynamic("batched matmul (?,3,4) @ (4,2)", [-1, 3, 4], [2, 3, 4], x => tf.matmul(x, Const(Uniform(8, 128), [4, 2])), [2, 3, 2], Uniform(24, 129), Exact);
        CheckDynamic("batched matmul (3,4) @ (?,4,2)", [-1, 4, 2], [2, 4, 2], x => tf.matmul(Const(Uniform(12, 130), [3, 4]), x), [2, 3, 2], Uniform(16, 131), Exact);
        CheckDynamic("bias_add value", [-1, 3], [2, 3], x => tf.nn.bias_add(x, Const(Uniform(3, 132), [3])), [2, 3], Uniform(6, 133), Exact);
        CheckDynamic("softmax", [-1, 4], [3, 4], x => tf.nn.softmax(x), [3, 4], Uniform(12, 134, -2, 2), Smooth);
        CheckDynamic("log_softmax", [-1, 4], [3, 4], x => tf.nn.log_softmax(x), [3, 4], Uniform(12, 135, -2, 2), Smooth);
        CheckDynamic("softmax_cross_entropy_with_logits_v2", [-1, 4], [3, 4],
                     z => tf.nn.softmax_cross_entropy_with_logits_v2(Const(SoftLabels, [3, 4]), z), [3], Uniform(12, 136, -2, 2), Smooth);
        CheckDynamic("sparse_softmax_cross_entropy_with_logits", [-1, 4], [3, 4],
                     z => tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(new[] { 0, 3, 1 }), z), [3], Uniform(12, 137, -2, 2), Smooth);
        CheckDynamic("l2_loss", [-1, 4], [3, 4], x => tf.nn.l2_loss(x) * tf.cast(tf.shape(x)[0], tf.float64), [], Uniform(12, 138), Exact);
    }

    // ---------------------------------------------------------------- more paths

    [Test]
    public void LossesThroughTheirMeans()
    {
        int[] s = [3, 4];
        Check("losses.softmax_cross_entropy", s, z => tf.losses.softmax_cross_entropy(Const(SoftLabels, s), z), Uniform(12, 140, -2, 2), Smooth);
        Check("losses.sparse_softmax_cross_entropy", s, z => tf.losses.sparse_softmax_cross_entropy(tf.constant(new[] { 2, 0, 3 }), z), Uniform(12, 141, -2, 2), Smooth);
    }

    [Test]
    public void FillAndPlaceholderWithDefault()
    {
        Check("fill value", [], v => tf.fill(new TensorShape(2, 3), v) * Const(Uniform(6, 142), [2, 3]), new[] { 0.3 }, Exact);
        Check("placeholder_with_default", Odd, x => tf.placeholder_with_default(x, new TensorShape(3, 5)) * 2.0, Exact);
    }

    [Test]
    public void SmallNetworkEndToEnd()
    {
        // A two-layer network with every kind of op a tutorial uses, checked for its first-layer weights.
        Check("two-layer network", [4, 5], w1 =>
        {
            var input = Const(Uniform(12, 143), [3, 4]);
            var w2 = Const(Uniform(10, 144), [5, 2]);
            var b1 = Const(Uniform(5, 145), [5]);
            var hidden = tf.nn.relu(tf.nn.bias_add(tf.matmul(input, w1), b1)) + tf.nn.sigmoid(tf.matmul(input, w1)) * 0.5;
            var logits = tf.matmul(hidden, w2);
            return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(new[] { 1, 0, 1 }), logits)) + tf.nn.l2_loss(w1) * 0.01;
        }, AwayFromZero(20, 146, 0.1, 1.0), Smooth);
    }
}
