using System.Text.RegularExpressions;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Keeps the README's promises true: its op table lists every op that has a kernel, and its commands exist.</summary>
public class ReadmeTests
{
    private static string Readme => File.ReadAllText(Path.Combine(Root(), "README.md"));

    private static string Root() => Repository.Root;

    [Test]
    public void OpTableListsEveryOpWithACpuKernel()
    {
        var table = Readme.Split('\n').Where(l => l.StartsWith("| `")).ToList();
        var listed = table.SelectMany(l => Regex.Matches(l.Split('|')[1], "`([A-Za-z0-9]+)`").Select(m => m.Groups[1].Value)).ToHashSet();
        var missing = CpuDevice.Instance.BuiltinOpTypes.Where(t => !listed.Contains(t)).Order().ToList();
        Assert.That(missing, Is.Empty, "ops with a kernel but no README row");
        var unknown = listed.Where(t => !OpRegistry.IsRegistered(t)).ToList();
        Assert.That(unknown, Is.Empty, "README rows naming ops that do not exist");
    }

    [Test]
    public void ExamplesNamedInTheReadmeExist()
    {
        foreach (Match m in Regex.Matches(Readme, @"examples/([A-Za-z]+)\.cs"))
            Assert.That(File.Exists(Path.Combine(Root(), "examples", m.Groups[1].Value + ".cs")), $"examples/{m.Groups[1].Value}.cs");
    }
}
