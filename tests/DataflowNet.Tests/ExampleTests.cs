using System.Diagnostics;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Runs each example script as a user does (<c>dotnet run examples/X.cs</c>) and checks what it prints.</summary>
[Category("Examples")]
public class ExampleTests
{
    private static string Root => Repository.Root;

    internal static string RunExample(string name, int timeoutSeconds = 300, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", ["run", $"examples/{name}.cs", "--", .. args])
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutSeconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"examples/{name}.cs did not finish within {timeoutSeconds} s");
        }
        Assert.That(p.ExitCode, Is.EqualTo(0), $"examples/{name}.cs failed:\n{stdout.Result}\n{stderr.Result}");
        return stdout.Result;
    }

    [Test]
    public void HelloWorld()
    {
        var output = RunExample("HelloWorld");
        Assert.That(output, Does.Contain("hello: Hello World!"));
        Assert.That(output, Does.Contain("A: Tensor(\"Const_1:0\", shape=(), dtype=int32) = 500"));
        Assert.That(output, Does.Contain("B: Tensor(\"Const_2:0\", shape=(4,), dtype=int32) = [ 345  999  888 7777]"));
        Assert.That(output, Does.Contain("[[  1   2   3]\n [444 555 666]\n [ 77  88  99]]"));
        Assert.That(output, Does.Contain("feed_dict: Hello World"));
        Assert.That(output, Does.Contain("math: 1"));
        Assert.That(output, Does.Contain("variable: 5"));
        Assert.That(output, Does.Contain("weights: shape (120, 5), all within 2 standard deviations: True"));
        Assert.That(output, Does.Contain("bias: [0. 0. 0.]"), "the tutorial's num_labels = 3");
    }

    [Test]
    public void Tensors()
    {
        var output = RunExample("Tensors");
        Assert.That(output, Does.Contain("0-d string: dtype=string shape=()\nHello World!"));
        Assert.That(output, Does.Contain("3-d float32 (jagged array): dtype=float32 shape=(2, 1, 2)\n[[[1.5 2.5]]\n\n [[3.5 4.5]]]"));
        Assert.That(output, Does.Contain("1-d bool: dtype=bool shape=(3,)\n[ True False  True]"));
        Assert.That(output, Does.Contain("[['deep' 'learning']\n ['with' 'graphs']]"));
    }

    [Test]
    public void Sessions()
    {
        var output = RunExample("Sessions");
        Assert.That(output, Does.Contain("sqrt(3^2 + 4^2) = 5.0"));
        Assert.That(output, Does.Contain("a + b = 7.0, a * b = 12.0"));
        Assert.That(output, Does.Contain("fed a C# array:   [ 6. 15.]"));
        Assert.That(output, Does.Contain("fed an NDArray:   [3. 3. 3. 3.]"));
        Assert.That(output, Does.Contain("refused: Cannot feed value of shape (2,) for Tensor 'x:0', which has shape (?, 3)"));
        Assert.That(output, Does.Contain("Sessions.cs:19"));
        Assert.That(output, Does.Contain("eval(): 30.0"));
    }

    [Test]
    public void TensorMath()
    {
        var output = RunExample("TensorMath");
        Assert.That(output, Does.Contain("tf.subtract(tf.cast(2.0, int32), 1) = 1\n"));
        Assert.That(output, Does.Contain("tf.divide(10, 4) = 2.5"));
        Assert.That(output, Does.Contain("sigmoid(h) = 0.6899745"), "the tutorial's neuron output");
        Assert.That(output, Does.Contain("= [2.  1.  0.1 0. ]"));
        Assert.That(output, Does.Contain("softmax = [0.63806635 0.23473148 0.09543469 0.03176745], sum = 1.0"));
    }

    [Test]
    public void Variables()
    {
        var output = RunExample("Variables");
        Assert.That(output, Does.Contain("counter after init: 5"));
        Assert.That(output, Does.Contain("counter after two increments: 7"));
        Assert.That(output, Does.Contain("a new session starts again at: 5"));
        Assert.That(output, Does.Contain("before init: Attempting to use uninitialized value counter"));
        Assert.That(output, Does.Match(@"weights \(120, 5\): min -1\.\d+, max 1\.\d+"));
        Assert.That(output, Does.Contain("bias: [0. 0. 0. 0. 0.]"));
    }

    [Test]
    public void SeedGradientStepPrintsTheTutorialsNumbers()
    {
        var output = RunExample("SeedGradientStep");
        Assert.That(output, Does.Contain("Neural Network output:\n0.6899745\n"));
        Assert.That(output, Does.Contain("Amount of Error:\n-0.1899745\n"));
        Assert.That(output, Does.Contain("Change in Weights:\n[-0.02031869 -0.04063738 -0.06095608 -0.08127477]"));
        Assert.That(output, Does.Contain("Same as the tutorial's numpy step: True"));
    }

    [Test]
    public void BackpropStepsAgree()
    {
        var output = RunExample("Backprop");
        Assert.That(output, Does.Contain("The weight steps agree: True"));
        var lines = output.Split('\n');
        string Values(string label, int skip) => lines.Where(l => l.TrimStart().StartsWith(label)).Skip(skip).First().Split(':')[1].Trim();
        Assert.That(Values("by hand", 0), Is.EqualTo(Values("tf.gradients", 0)));
        Assert.That(Values("by hand", 1), Is.EqualTo(Values("tf.gradients", 1)));
    }

    [Test]
    public void NeuralNetXorTrainsBelowTheTarget()
    {
        var output = RunExample("NeuralNetXor");
        var loss = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"final loss ([0-9.]+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(loss, Is.LessThan(0.0628));
        Assert.That(output, Does.Match(@"1 xor 0 = 1: predicted 0\.9\d\d"));
        Assert.That(output, Does.Match(@"1 xor 1 = 0: predicted 0\.0\d\d"));
        // Its graphs, written to graphs/ (the same bytes each run, so the tree stays clean).
        var frozen = Io.Proto.GraphDef.Read(Path.Combine(Root, "graphs", "xor_frozen.pbtxt"));
        Assert.That(frozen.Node.Select(n => n.Op), Has.None.EqualTo("VariableV2").And.Contains("Placeholder"));
        Assert.That(Io.Proto.GraphDef.Read(Path.Combine(Root, "graphs", "xor.pbtxt")).Node.Select(n => n.Name), Does.Contain("init").And.Contain("loss"));
    }

    [Test]
    public void LinearRegressionApproachesLeastSquares()
    {
        var output = RunExample("LinearRegression");
        double Read(string pattern) => double.Parse(System.Text.RegularExpressions.Regex.Match(output, pattern).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(Read(@"trained:\s+W = ([0-9.]+)"), Is.EqualTo(Read(@"least squares: W = ([0-9.]+)")).Within(0.01));
        Assert.That(Read(@"trained:\s+W = [0-9.]+\s+b = ([0-9.]+)"), Is.EqualTo(Read(@"least squares: W = [0-9.]+\s+b = ([0-9.]+)")).Within(0.06));
    }

    [Test]
    public void LogisticRegressionOnDigits()
    {
        var output = RunExample("LogisticRegression", 300, "--digits");
        var accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"Test accuracy: ([0-9.]+) ?%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(accuracy, Is.GreaterThan(90));
    }

    [Test]
    public void MultilayerPerceptronOnDigits()
    {
        var logdir = Path.Combine(Path.GetTempPath(), "dfn-mlp-" + Guid.NewGuid().ToString("N"));
        try
        {
            var output = RunExample("MultilayerPerceptron", 300, "--digits", "--logdir", logdir);
            Assert.That(output, Does.Contain("8x8 digits: 1437 training and 360 test examples"));
            Assert.That(output, Does.Contain("Devices: /device:CPU:0"), "the devices the run may use, as device_lib lists them");
            // The live display is only redrawn on a terminal; the closing line always reports the training figures.
            Assert.That(output, Does.Match(@"Trained 40 epochs \(1760 steps of 32\) in [0-9.]+ s; last batches: loss [0-9.]+, accuracy"));
            var accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"Test accuracy: ([0-9.]+) ?%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(accuracy, Is.GreaterThan(94));
            CheckMultilayerPerceptronEvents(logdir);
        }
        finally
        {
            if (Directory.Exists(logdir)) Directory.Delete(logdir, recursive: true);
        }
    }

    /// <summary>The event file the example wrote: version, graph, then a summary every 100 steps.</summary>
    private static void CheckMultilayerPerceptronEvents(string logdir)
    {
        var events = EventFiles.ReadEvents(EventFiles.Single(logdir));
        Assert.That(events[0].FileVersion, Is.EqualTo("brain.Event:2"));
        var graph = Io.Proto.GraphDef.Parser.ParseFrom(events[1].GraphDef).Node.Select(n => n.Name).ToList();
        Assert.That(graph, Does.Contain("hidden1/weights").And.Contain("Merge/MergeSummary").And.Contain("train/loss").And.Contain("train/hidden1_weights"));
        var summaries = events.Skip(2).ToList();
        Assert.That(summaries.Select(e => e.Step), Is.EqualTo(Enumerable.Range(0, 18).Select(i => 100L * i)));
        foreach (var e in summaries)
            Assert.That(e.Summary.Value.Select(v => v.Tag), Is.EqualTo(new[] { "train/loss", "train/accuracy", "train/learning_rate", "train/hidden1_weights" }));
        // 44 steps an epoch, decay 0.85 per epoch (staircase): step 100 is in the third epoch.
        Assert.That(summaries[0].Summary.Value[2].SimpleValue, Is.EqualTo(0.05f).Within(1e-7));
        Assert.That(summaries[1].Summary.Value[2].SimpleValue, Is.EqualTo(0.05f * 0.85f * 0.85f).Within(1e-6));
        Assert.That(summaries[0].Summary.Value[0].SimpleValue, Is.GreaterThan(summaries[^1].Summary.Value[0].SimpleValue), "the loss falls");
        var histogram = summaries[^1].Summary.Value[3].Histo;
        Assert.That(histogram.Num, Is.EqualTo(64 * 64), "the 64x64 weights of hidden1");
        Assert.That(histogram.Bucket.Sum(), Is.EqualTo(64 * 64));
    }

    [Test]
    public void RecurrentNetworkOnDigits()
    {
        var output = RunExample("RecurrentNetwork", 300, "--digits");
        Assert.That(output, Does.Contain("8x8 digits: 1437 training and 360 test examples, 8 rows of 8 pixels, 10 classes"));
        Assert.That(output, Does.Match(@"Trained 1500 steps of 32 in [0-9.]+ s; last batches: loss [0-9.]+, accuracy"));
        var accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"Test accuracy: ([0-9.]+) ?%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(accuracy, Is.GreaterThan(90), "an LSTM over the rows of the 8x8 digits");
    }

    [Test]
    public void DeepMnistOnDigits()
    {
        var output = RunExample("DeepMnist", 300, "--digits");
        Assert.That(output, Does.Contain("8x8 digits: 1437 training and 360 test examples, 8x8 images, 10 classes"));
        Assert.That(output, Does.Contain("Devices: /device:CPU:0"), "the devices the run may use, as device_lib lists them");
        Assert.That(output, Does.Match(@"Trained 25 epochs \(1100 steps of 32\) in [0-9.]+ s; last batches: loss [0-9.]+, accuracy"));
        var accuracy = double.Parse(System.Text.RegularExpressions.Regex.Match(output, @"Test accuracy: ([0-9.]+) ?%").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(accuracy, Is.GreaterThan(95));
    }
}
