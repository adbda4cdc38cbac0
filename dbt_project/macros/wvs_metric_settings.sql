{#-
    Settings of the WVS-based marts (cultural_alignment_*, value_polarity_alignment,
    distribution_similarity*, self_consistency), each overridable with `--vars`
    (e.g. --vars '{distribution_bootstrap_replicates: 200}'). Kept here, with their defaults,
    rather than in dbt_project.yml.

      correlation_min_points   fewest complete (x, y) pairs for a Pearson/Spearman (else null,
                               `too_few_points`): 3, as 2 points always correlate +-1.
      polarity_country_source_file / polarity_language_source_file
                               which WVS polarity processing run (seed wvs_polarity
                               `source_file`) is the ground truth; docs/data-provenance.md §4 recommends
                               these two for the paper's main results.
      polarity_global_source_file
                               the global level's ground truth (every WVS/EVS respondent,
                               weighted): the repo's only global file, which lacks 4 of the 35
                               topics (e028, e225, e226, e228).
      polarity_require_prompt_language
                               drop polarity replies whose detected language is not the prompt
                               language (Rystrøm et al. filter them out); unknown language kept.
      distribution_bootstrap_replicates / distribution_bootstrap_seed
                               bootstrap of distribution_similarity: 1000 replicates by default,
                               as Bravansky et al. (docs/benchmarks.md: the cost on a full
                               CultureSPA run); the seed makes every draw reproducible.
      distribution_ci_level    two-sided level of the percentile interval (0.95).
-#}
{% macro wvs_metric_setting(name) -%}
    {%- set defaults = {
        'correlation_min_points': 3,
        'polarity_country_source_file': 'output/ground_truth_all_countries.csv',
        'polarity_language_source_file': 'output/ground_truth.csv',
        'polarity_global_source_file': 'output/ground_truth_global.csv',
        'polarity_require_prompt_language': true,
        'distribution_bootstrap_replicates': 1000,
        'distribution_bootstrap_seed': 20250101,
        'distribution_ci_level': 0.95,
    } -%}
    {{ return(checked_var(name, defaults, 'WVS metric')) }}
{%- endmacro %}
