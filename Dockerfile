FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY lrs ./lrs
COPY api ./api
COPY projections ./projections
COPY migrations ./migrations
COPY cli ./cli
RUN pip install --no-cache-dir '.[postgres]'
ENV LRS_HOST=0.0.0.0 LRS_PORT=8000
EXPOSE 8000
CMD ["lrs", "serve"]
