{#-
    Settings of the WVS-based marts (cultural_alignment_*, value_polarity_alignment,
    distribution_similarity*, self_consistency), each overridable with `--vars`
    (e.g. --vars '{distribution_bootstrap_replicates: 200}'). Kept here, with their defaults,
    rather than in dbt_project.yml.

      correlation_min_points   fewest complete (x, y) pairs for a Pearson/Spearman (else null,
                               `too_few_points`): 3, as 2 points always correlate +-1.
      polarity_country_source_file / polarity_language_source_file
                               which WVS polarity processing run (seed wvs_polarity
                               `source_file`) is the ground truth; PROVENANCE.md §4 recommends
                               these two for the paper's main results.
      polarity_require_prompt_language
                               drop polarity replies whose detected language is not the prompt
                               language (Rystrøm et al. filter them out); unknown language kept.
      distribution_bootstrap_replicates / distribution_bootstrap_seed
                               bootstrap of distribution_similarity: 200 replicates by default
                               (Bravansky et al. use 1000: set it for paper-comparable intervals;
                               the cost is linear in it, about 80 s per style x variant of a
                               full 18-country, 3-trial run at 1000 on 2 cores); the seed makes
                               every draw reproducible.
      distribution_ci_level    two-sided level of the percentile interval (0.95).
-#}
{% macro wvs_metric_setting(name) -%}
    {%- set defaults = {
        'correlation_min_points': 3,
        'polarity_country_source_file': 'output/ground_truth_all_countries.csv',
        'polarity_language_source_file': 'output/ground_truth.csv',
        'polarity_require_prompt_language': true,
        'distribution_bootstrap_replicates': 200,
        'distribution_bootstrap_seed': 20250101,
        'distribution_ci_level': 0.95,
    } -%}
    {%- if name not in defaults -%}
        {{ exceptions.raise_compiler_error("unknown WVS metric setting '" ~ name ~ "'") }}
    {%- endif -%}
    {{ return(var(name, defaults[name])) }}
{%- endmacro %}
