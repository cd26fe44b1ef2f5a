using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Gradients;

/// <summary>What tf.gradients promises beyond each op's derivative: nulls, summed paths, stops, grad_ys, several ys, user gradients and errors.</summary>
public class GradientSemanticsTests(string device) : DeviceTest(device)
{
    [Test]
    public void AnXTheYsDoNotDependOnGetsNull()
    {
        var x = tf.placeholder(tf.float32, new TensorShape(2), name: "x");
        var unrelated = tf.placeholder(tf.float32, new TensorShape(2), name: "unrelated");
        var y = x * 2f;
        var g = tf.gradients(y, new[] { x, unrelated });
        Assert.That(g, Has.Length.EqualTo(2));
        Assert.That(g[0], Is.Not.Null);
        Assert.That(g[1], Is.Null);
        // A constant the ys do not use, and a tensor computed from x but not on the path to y, get null too.
        var c = tf.constant(3f);
        var offPath = x * 5f;
        var g2 = tf.gradients(y, new[] { c, offPath });
        Assert.That(g2[0], Is.Null);
        Assert.That(g2[1], Is.Null);
    }

    [Test]
    public void PathsAreSummed()
    {
        // y = x·x + 3x at x = 2: 2x + 3 = 7.
        var x = tf.constant(2f);
        var y = x * x + 3f * x;
        AssertValue(Eval(tf.gradients(y, x)[0]!), new[] { 7f }, []);
        // Four paths through one shared intermediate: u = x², y = u + 2u + sin(0)·u → dy/dx = 3 · 2x = 12.
        var u = x * x;
        var y2 = tf.add_n(new TensorLike[] { u, u * 2f, u * tf.sin(tf.constant(0f)) });
        AssertValue(Eval(tf.gradients(y2, x)[0]!), new[] { 12f }, []);
    }

    [Test]
    public void StopGradientBlocks()
    {
        // y = x · stop(x) at x = 3: the stopped factor is a constant, so dy/dx = 3 (not 6).
        var x = tf.constant(3f);
        var y = x * tf.stop_gradient(x);
        AssertValue(Eval(tf.gradients(y, x)[0]!), new[] { 3f }, []);
        // When every path is stopped, the result is null.
        Assert.That(tf.gradients(tf.stop_gradient(x) * 2f, x)[0], Is.Null);
    }

    [Test]
    public void StopGradientsArgumentTreatsTensorsAsConstants()
    {
        // TensorFlow's documented example: a = 0, b = 2a; d(a + b)/[a, b] with both stopped is [1, 1] (not [3, 1]).
        var a = tf.constant(0f);
        var b = 2f * a;
        var g = tf.gradients(a + b, new[] { a, b }, stop_gradients: new[] { a, b });
        AssertValue(Eval(g[0]!), new[] { 1f }, []);
        AssertValue(Eval(g[1]!), new[] { 1f }, []);
        // Without the stop, a receives both paths.
        var g2 = tf.gradients(a + b, new[] { a, b });
        AssertValue(Eval(g2[0]!), new[] { 3f }, []);
        // Stopping only b: a gets 1.
        var g3 = tf.gradients(a + b, new[] { a }, stop_gradients: new[] { b });
        AssertValue(Eval(g3[0]!), new[] { 1f }, []);
    }

    [Test]
    public void GradYsScalesTheGradient()
    {
        var x = tf.constant(new[] { 1f, -2f, 3f });
        var y = x * x;
        var gy = tf.constant(new[] { 10f, 0.5f, -1f });
        var g = tf.gradients(y, x, grad_ys: gy)[0]!;
        // 2x · grad_ys = [20, -2, -6]
        AssertValue(Eval(g), new[] { 20f, -2f, -6f }, [3]);
        // A grad_ys of the wrong dtype is refused.
        Assert.Throws<InvalidArgumentException>(() => tf.gradients(y, x, grad_ys: tf.constant(new[] { 1.0, 1.0, 1.0 }, tf.float64)));
    }

    [Test]
    public void IntegerTensorsGetNull()
    {
        var i = tf.placeholder(tf.int32, new TensorShape(3), name: "i");
        var y = tf.cast(i, tf.float32) * 2f;
        Assert.That(tf.gradients(y, i)[0], Is.Null);
        var j = tf.constant(new[] { 1L, 2L });
        Assert.That(tf.gradients(tf.cast(j, tf.float64) * 3.0, j)[0], Is.Null);
    }

    [Test]
    public void GradientsOfSeveralYsAreTheGradientOfTheirSum()
    {
        // y1 = x², y2 = 3x, y3 = sum(x) (a scalar): d(y1 + y2 + y3)/dx = 2x + 3 + 1.
        var x = tf.constant(new[] { 1f, 2f });
        var y1 = x * x;
        var y2 = x * 3f;
        var y3 = tf.reduce_sum(x);
        var g = tf.gradients(new[] { y1, y2, y3 }, new[] { x })[0]!;
        AssertValue(Eval(g), new[] { 6f, 8f }, [2]);
        // With grad_ys per y (null meaning ones): 2x·[1, 1] + 3·[2, -1] + 1·0.5
        var g2 = tf.gradients(new[] { y1, y2, y3 }, new[] { x },
                              grad_ys: new Tensor?[] { null, tf.constant(new[] { 2f, -1f }), tf.constant(0.5f) })[0]!;
        AssertValue(Eval(g2), new[] { 2f + 6f + 0.5f, 4f - 3f + 0.5f }, [2]);
    }

    [Test]
    public void GradientsWithRespectToSeveralXs()
    {
        // y = a·b + a: dy/da = b + 1, dy/db = a.
        var a = tf.constant(new[] { 2f, 3f });
        var b = tf.constant(new[] { 5f, 7f });
        var g = tf.gradients(a * b + a, new[] { a, b });
        AssertValue(Eval(g[0]!), new[] { 6f, 8f }, [2]);
        AssertValue(Eval(g[1]!), new[] { 2f, 3f }, [2]);
    }

    [Test]
    public void AnXUpstreamOfAnotherXGetsTheTotalDerivative()
    {
        // u = x², y = 3u + x: dy/du = 3 and dy/dx = 6x + 1 (through u as well), at x = 2: 13.
        var x = tf.constant(2f);
        var u = x * x;
        var y = u * 3f + x;
        var g = tf.gradients(y, new[] { x, u });
        AssertValue(Eval(g[0]!), new[] { 13f }, []);
        AssertValue(Eval(g[1]!), new[] { 3f }, []);
        // With respect to u alone, differentiation stops at u: the direct path through x is not u's.
        AssertValue(Eval(tf.gradients(y, u)[0]!), new[] { 3f }, []);
    }

    [Test]
    public void TheGradientOfXWithRespectToItselfIsOnes()
    {
        var x = tf.constant(new[] { 4f, 5f });
        AssertValue(Eval(tf.gradients(x, x)[0]!), new[] { 1f, 1f }, [2]);
        AssertValue(Eval(tf.gradients(x, x, grad_ys: tf.constant(new[] { 2f, 3f }))[0]!), new[] { 2f, 3f }, [2]);
    }

    [Test]
    public void GradientWithRespectToAVariable()
    {
        var w = tf.Variable(new[] { 1f, -2f }, name: "w");
        var loss = tf.reduce_sum(w * w * 3f);
        var g = tf.gradients(loss, w)[0]!;
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        AssertValue(sess.run(g), new[] { 6f, -12f }, [2]);
    }

    // ---------------------------------------------------------------- custom ops and gradients

    private const string CubeType = "GradTestCube";
    private const string OpaqueType = "GradTestOpaque";

    /// <summary>The true derivative of the cube op: 3x² · g.</summary>
    private static readonly GradientFunction CubeGrad = (op, g) => [g[0] * op.inputs[0] * op.inputs[0] * 3.0];

    /// <summary>Registers a custom op type y = x³ (float64) with its shape function, CPU kernel and true gradient.</summary>
    private static void EnsureCustomOps()
    {
        lock (typeof(GradientSemanticsTests))
        {
            if (!OpRegistry.IsRegistered(CubeType))
                OpRegistry.Register(new OpDef(CubeType, "x") { Shape = c => c.One(c.InputType(0), c.InputShape(0)), Gradient = CubeGrad });
            if (!CpuDevice.Instance.Kernels.Has(CubeType))
                CpuDevice.Instance.Kernels.Register(CubeType, [DataType.Float64], ctx =>
                {
                    var x = ctx.Input(0);
                    ctx.SetOutput(0, TensorValue.Create(x.ToArray<double>().Select(v => v * v * v).ToArray(), x.shape));
                });
            // An op with no gradient defined at all (Gradient left null).
            if (!OpRegistry.IsRegistered(OpaqueType))
                OpRegistry.Register(new OpDef(OpaqueType, "x") { Shape = c => c.One(c.InputType(0), c.InputShape(0)) });
            if (!CpuDevice.Instance.Kernels.Has(OpaqueType))
                CpuDevice.Instance.Kernels.Register(OpaqueType, [DataType.Float64], ctx => ctx.SetOutput(0, ctx.Input(0)));
        }
    }

    [Test]
    public void RegisterGradientOverridesAnOpTypesGradient()
    {
        EnsureCustomOps();
        OpRegistry.RegisterGradient(CubeType, CubeGrad); // the op's own gradient, whatever an earlier run left
        try
        {
            var x = tf.constant(new[] { 1.0, 2.0, -3.0 }, tf.float64);
            var y = tf.Op(CubeType, [x], name: "cube");
            AssertValue(Eval(y), new[] { 1.0, 8.0, -27.0 }, [3]);
            // The registered gradient: 3x².
            AssertValue(Eval(tf.gradients(y, x)[0]!), new[] { 3.0, 12.0, 27.0 }, [3]);
            // A user gradient replaces it for graphs differentiated afterwards: -g.
            tf.RegisterGradient(CubeType, (op, g) => [tf.negative(g[0])]);
            AssertValue(Eval(tf.gradients(y * 2.0, x)[0]!), new[] { -2.0, -2.0, -2.0 }, [3]);
            // OpRegistry.RegisterGradient does the same.
            OpRegistry.RegisterGradient(CubeType, (op, g) => [g[0] * 100.0]);
            AssertValue(Eval(tf.gradients(y, x)[0]!), new[] { 100.0, 100.0, 100.0 }, [3]);
        }
        finally
        {
            OpRegistry.RegisterGradient(CubeType, CubeGrad);
        }
    }

    [Test]
    public void CustomOpGradientPassesAFiniteDifferenceCheck()
    {
        EnsureCustomOps();
        OpRegistry.RegisterGradient(CubeType, CubeGrad);
        var x = tf.placeholder(tf.float64, new TensorShape(2, 3));
        var y = tf.Op(CubeType, [x]);
        var err = tf.test.compute_gradient_error(x, new TensorShape(2, 3), y, y.shape, null, 1e-5);
        Assert.That(err, Is.LessThan(1e-8));
    }

    [Test]
    public void TheFiniteDifferenceCheckCatchesAWrongGradient()
    {
        // Guards every check in GradientCheckTests: a gradient off by a factor (2x² instead of 3x²) is caught.
        EnsureCustomOps();
        OpRegistry.RegisterGradient(CubeType, (op, g) => [g[0] * op.inputs[0] * op.inputs[0] * 2.0]);
        try
        {
            var x = tf.placeholder(tf.float64, new TensorShape(3));
            var y = tf.Op(CubeType, [x]);
            var err = tf.test.compute_gradient_error(x, new TensorShape(3), y, y.shape, new[] { 1.0, -2.0, 0.5 }, 1e-5);
            // The largest entry of the difference: |2·4 - 3·4| = 4 at x = -2.
            Assert.That(err, Is.EqualTo(4.0).Within(1e-6));
        }
        finally
        {
            OpRegistry.RegisterGradient(CubeType, CubeGrad);
        }
    }

    [Test]
    public void AnOpWithoutAGradientOnThePathThrowsNotFoundNamingIt()
    {
        EnsureCustomOps();
        var x = tf.constant(new[] { 1.0, 2.0 }, tf.float64);
        var opaque = tf.Op(OpaqueType, [x * 2.0], name: "mystery");
        var y = tf.reduce_sum(opaque * 3.0);
        var e = Assert.Throws<NotFoundException>(() => tf.gradients(y, x))!;
        Assert.That(e.Message, Does.Contain("'mystery'"));
        Assert.That(e.Message, Does.Contain(OpaqueType));
        Assert.That(e.Op, Is.SameAs(opaque.op));
        // Off the path it is no error: the gradient with respect to the op's own output stops before it.
        AssertValue(Eval(tf.gradients(y, opaque)[0]!), new[] { 3.0, 3.0 }, [2]);
    }
}
