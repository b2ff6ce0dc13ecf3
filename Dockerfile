FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN useradd --create-home feedhub && mkdir -p var && chown -R feedhub var
USER feedhub
EXPOSE 8000
CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "feedhub.asgi:application"]
