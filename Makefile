# Developer shortcuts. Each works on a fresh clone (JDK 17 and python3 are the only prerequisites).
# Overrides for cxr commands: make train ARGS="train.epochs=5".
SHELL := /bin/bash
MVN   := ./mvnw -B
JAR   := cli/target/cxr.jar
CXR   := java -jar $(JAR)
VENV  := .venv/bin
ARGS  ?=
CONF  ?= {}

.PHONY: help install venv jar download-data prepare train evaluate register optimize repro bench bench-smoke serve-bench \
        test test-data test-post lint format mlflow push-data pull-data clean \
        images image-cuda up up-distributed down clean-stack logs trigger watch task-log test-notebook test-dags test-e2e ci ci-act actionlint mutation fuzz

help:
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install: venv jar ## Python tools (.venv) and the cxr jar

venv: ## the project-local Python venv with the pinned tools (mlflow, dvc, numpy)
	./scripts/venv.sh

jar: ## build cli/target/cxr.jar (no tests)
	$(MVN) -q package -DskipTests

$(JAR):
	$(MVN) -q package -DskipTests

download-data: $(JAR) ## download PneumoniaMNIST (Zenodo) into data/raw; DATASET=kermany for Kaggle
	$(CXR) download --dataset $${DATASET:-pneumoniamnist} $(ARGS)

prepare: $(JAR) ## cxr prepare (data.source from conf/config.yaml)
	$(CXR) prepare $(ARGS)

train: $(JAR) ## cxr train (model.type from conf/config.yaml, or MODEL=cnn|dense)
	$(CXR) train $${MODEL:+--model $$MODEL} $(ARGS)

evaluate: $(JAR) ## cxr evaluate with the quality gate
	$(CXR) evaluate $(ARGS)

register: $(JAR) ## cxr register: new registry version, champion only if strictly better
	$(CXR) register $(ARGS)

optimize: $(JAR) ## hyper-parameter search (hpo.* in conf/config.yaml), e.g. ARGS="hpo.trials=10 --refit"
	$(CXR) optimize $(ARGS)

repro: venv $(JAR) ## run the DVC pipeline (prepare -> train -> evaluate)
	$(VENV)/dvc repro

test: ## the tests, exactly as CI runs them (Java, DAG and container tests)
	scripts/test.sh

mutation: ## PIT mutation testing of the fast packages (incremental), then every survivor held to core/pit-survivors.tsv; report in core/target/pit-reports/index.html
	./mvnw -B -pl core -Pmutation test-compile org.pitest:pitest-maven:mutationCoverage
	python3 scripts/pit_survivors.py core/target/pit-reports/mutations.xml core/pit-survivors.tsv

fuzz: ## Jazzer fuzzing of the readers, SECONDS_PER_TARGET (default 60); findings in core/target/fuzz
	scripts/fuzz.sh $${SECONDS_PER_TARGET:-60}

test-notebook: ## the EDA notebook, executed with nbclient (needs the jar)
	scripts/test.sh notebook

test-dags: ## the Airflow DAG tests only (.venv-airflow)
	scripts/test.sh dags

test-e2e: ## the container end-to-end test only (needs a running dockerd)
	scripts/test.sh e2e

ci: ## the GitHub CI workflow's steps, in its order, on this machine
	scripts/ci-local.sh

ci-act: ## the CI workflow's lint, test and pipeline jobs under act, and a failing gate failing
	scripts/act.sh lint test pipeline
	scripts/act.sh --expect-failure pipeline --var CXR_GATE_OVERRIDES=gate.min_test_auc=1.0 \
	  --var "CXR_TRAIN_OVERRIDES=train.epochs=2 train.ensemble=1"

actionlint: ## lint the GitHub workflows
	scripts/actionlint.sh

images: ## the CPU trainer image and the compose services' images (local Debian base)
	scripts/docker-build.sh cpu && scripts/docker-build.sh stack

image-cuda: ## the CUDA trainer image (ARGS="--build-arg CUDA_LIBS=maven" bundles CUDA from Maven Central)
	scripts/docker-build.sh cuda $(ARGS)

up: ## start PostgreSQL, MLflow and Airflow (.env with fresh secrets if missing; images built if missing)
	scripts/stack.sh up

up-distributed: ## the stack with the CeleryExecutor: Redis and WORKERS airflow-worker containers (default 2)
	scripts/stack.sh up-distributed $(or $(WORKERS),2)

down: ## stop the compose stack (volumes and images stay)
	scripts/stack.sh down

clean-stack: ## down, and remove the stack's and the DAG's volumes and the dangling images of cxr's builds
	scripts/stack.sh clean

logs: ## follow the compose stack's logs
	scripts/stack.sh logs

trigger: ## start a DAG run now, e.g. CONF='{"overrides": ["train.epochs=2"]}' (unpauses the DAG; DAG=cxr_hpo for the search)
	CXR_DAG=$(DAG) scripts/stack.sh trigger '$(CONF)'

watch: ## follow the last triggered DAG run task by task (RUN=<run id> for another)
	CXR_DAG=$(DAG) scripts/stack.sh watch $(RUN)

task-log: ## a task's log of the last triggered run, e.g. TASK=train (RUN=<run id> for another)
	CXR_DAG=$(DAG) scripts/stack.sh log $(TASK) $(RUN)

test-data: venv ## pre-train data validation tests only
	$(MVN) -q test -pl core -am -Dtest='BadInputTest,PrepareRealDataTest,NpyTest' -Dsurefire.failIfNoSpecifiedTests=false

test-post: venv ## post-train artifact, metrics and gate tests only
	$(MVN) -q test -pl core -am -Dtest='TrainerTest,MetricsTest' -Dsurefire.failIfNoSpecifiedTests=false

bench: ## all benchmarks in full + the Pillow/OpenCV/PyTorch comparison (~40 min), e.g. ARGS="--only Preprocess"
	benchmarks/run.sh $(ARGS)

bench-smoke: ## one short iteration of every benchmark (what CI runs)
	benchmarks/run.sh --smoke $(ARGS)

serve-bench: venv $(JAR) ## cxr serve vs a FastAPI+PyTorch reference under vegeta, then a 10-min soak with alias moves (~17 min), e.g. ARGS="--soak 0"
	scripts/venv.sh benchmarks/serve/requirements.txt .venv-serve-bench
	[ -x .tools/bin/vegeta ] || GOBIN=$(CURDIR)/.tools/bin go install github.com/tsenart/vegeta/v12@v12.13.0
	.venv-serve-bench/bin/python benchmarks/serve/bench.py $(ARGS)

lint: ## check formatting (google-java-format via Spotless) and the Checkstyle rules (scripts/lint)
	$(MVN) -q spotless:check
	$(MVN) -q checkstyle:check@lint

format: ## reformat the Java sources
	$(MVN) -q spotless:apply

mlflow: ## start the pinned MLflow server on 127.0.0.1:5000 (PORT=...)
	./scripts/mlflow-server.sh $${PORT:-5000}

push-data: venv ## dvc push prepared data and models: to your default DVC remote, else to the stack's S3 store
	scripts/stack.sh data push

pull-data: venv ## dvc pull them back (the stack's S3 store: the same .env keys on another machine)
	scripts/stack.sh data pull

clean: ## remove build outputs (not data, models or runs)
	$(MVN) -q clean
