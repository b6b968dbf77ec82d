// The probe detector's settings (docs/detector.md, "The probe detector"): when a host's beat is
// missing the server asks the host itself, and declares it silent only once neither a beat nor
// an answer has come for long enough that a live host on its link would almost never be that
// quiet. Durations are in the host's intervals, so that every host is judged by its own rhythm.
#pragma once

#include <cstdint>

namespace beat {

struct ProbeSettings {
    // Silent once the evidence reaches this: -log10 of the chance that a live host on this link
    // stays unheard through the missing beats and unanswered probes. 10: about one false report
    // in 10^10 suspicions.
    double threshold = 10;
    // A host is suspected once its beat is this late: max(suspect_deviations x the deviation of its
    // intervals, suspect_margin_intervals) after one mean interval.
    double suspect_deviations = 4;
    double suspect_margin_intervals = 0.1;
    // The probes of one suspicion are spread so that the evidence would reach the threshold at
    // about target_intervals after the last beat, never closer than min_spacing_intervals (nor
    // min_spacing_ms) apart; each counts as unanswered once the next one is due.
    double target_intervals = 2;
    double min_spacing_intervals = 0.01;
    std::int64_t min_spacing_ms = 5;
    std::uint32_t max_probes = 64;  // Per suspicion (k); after them only missing beats count.
    // However strong the missing beats alone, a host is declared silent only once this many
    // probes went unanswered (or the beats alone reach the threshold): one lost probe or answer,
    // or an agent busy for a moment, is not a death.
    std::uint32_t min_probes = 3;
    // Probes per second for the whole server (suspicions and discovery); a probe over the budget
    // is not sent and adds no evidence, so its host is judged more slowly, never more hastily.
    double budget_per_s = 10'000;
    // Until a host's agent has answered a probe it is judged by phi. Its agent is asked at its
    // first beat and then every discovery_every beats, at most discovery_tries times per agent
    // run (so that a lost probe or answer does not leave it judged by phi for long).
    std::uint32_t discovery_every = 4;
    std::uint32_t discovery_tries = 16;
    // Verdicts are held (at most hold_intervals of the host's intervals) while at least
    // mass_share of the hosts up, and at least mass_min hosts, are suspected at once: more
    // likely the server's network than all those hosts.
    double mass_share = 0.25;
    std::uint32_t mass_min = 10;
    double hold_intervals = 5;
};

}  // namespace beat
