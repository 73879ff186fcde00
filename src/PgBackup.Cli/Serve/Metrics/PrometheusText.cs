using System.Globalization;
using System.Text;

namespace PgBackup.Cli.Serve.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): one HELP and TYPE line per
/// family, then its samples with escaped label values.
/// </summary>
internal sealed class PrometheusText
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    public PrometheusText Family(string name, string type, string help, IEnumerable<Sample> samples)
    {
        var list = samples.ToList();
        if (list.Count == 0) return this;
        _text.Append("# HELP ").Append(name).Append(' ').Append(help.Replace("\\", "\\\\").Replace("\n", "\\n")).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach (var s in list)
        {
            _text.Append(name);
            if (s.Labels.Count > 0)
                _text.Append('{').AppendJoin(',', s.Labels.Select(l => $"{l.Name}=\"{EscapeLabel(l.Value)}\"")).Append('}');
            _text.Append(' ').Append(FormatValue(s.Value)).Append('\n');
        }
        return this;
    }

    public override string ToString() => _text.ToString();

    public static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    public static string FormatValue(double value) => value switch
    {
        double.NaN => "NaN",
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };
}

/// <summary>One sample of a family: its labels (in order) and value.</summary>
internal sealed record Sample(IReadOnlyList<(string Name, string Value)> Labels, double Value)
{
    public static Sample Of(double value, params (string Name, string Value)[] labels) => new(labels, value);
}
