mod benchmark;
mod escalation;
mod forecast;
mod improvement;
mod margins;
mod period;
mod quality;
mod rules;
